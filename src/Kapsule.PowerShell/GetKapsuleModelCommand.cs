using System.Management.Automation;
using Kapsule.Content;
using Kapsule.Models;
using Kapsule.Oci;

namespace Kapsule.PowerShell
{
    /// <summary>
    /// Pulls a model image from a registry (or an OCI layout folder) into the local store, or with -Path
    /// into a standalone OCI layout folder. Interrupted downloads resume where they stopped.
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "KapsuleModel", SupportsShouldProcess = true)]
    [OutputType(typeof(KapsuleImage))]
    public sealed class GetKapsuleModelCommand : KapsuleRegistryCmdlet
    {
        /// <summary>A registry reference (host/repository:tag or @digest) or oci:&lt;folder&gt;[:&lt;tag&gt;].</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string[] Reference { get; set; } = new string[0];

        /// <summary>Write an OCI image layout folder here instead of the store (readable as oci:&lt;Path&gt;:&lt;tag&gt;).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? Path { get; set; }

        /// <summary>The name to give the image where it lands (default: the full reference in the store, the tag in a folder).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? Name { get; set; }

        protected override void ProcessRecord()
        {
            foreach (var text in Reference)
            {
                try
                {
                    Pull(text);
                }
                catch (PipelineStoppedException)
                {
                    throw;
                }
                catch (System.Exception e)
                {
                    WriteError(ToErrorRecord(e, text));
                }
            }
        }

        private void Pull(string text)
        {
            var source = ImageLocation.Parse(text, GetUnresolvedProviderPathFromPSPath);
            var target = Path != null ? new OciLayoutStore(GetUnresolvedProviderPathFromPSPath(Path), true) : Store;
            string name;
            if (Name != null) name = Path != null ? Name : NormalizeName(Name);
            else if (source.IsFolder)
            {
                name = source.Tag != null && Path != null ? source.Tag
                    : source.Tag != null && source.Tag.IndexOf('/') > 0 ? NormalizeName(source.Tag)
                    : throw new KapsuleException(ErrorIds.InvalidReference, KapsuleErrorKind.InvalidArgument,
                        $"Give -Name: '{text}' has no full image name to use in the store.") { Target = text };
            }
            else name = Path != null ? (source.Registry!.Tag ?? source.Registry.Digest?.Hex ?? "latest") : source.Registry!.ToString();

            if (!ShouldProcess($"{name} in {target.Root}", $"Pull {source}")) return;

            // Created here, on the pipeline thread: it resolves -CaFile through PowerShell's provider paths.
            using var client = source.IsFolder ? null : CreateClient(source.Registry!.Registry);
            RunAsync(async ct =>
            {
                var progress = NewTransferProgress($"Pulling {source}", 0);
                try
                {
                    TransferResult result;
                    if (source.IsFolder)
                    {
                        var from = new OciLayoutStore(source.Folder!, false);
                        var manifest = ResolveInLayout(from, source.Tag, text);
                        result = await ImageTransfer.CopyAsync(from, manifest, target, name, progress, ct).ConfigureAwait(false);
                    }
                    else
                    {
                        result = await ImageTransfer.PullAsync(client!, source.Registry!, target, name, progress, ct).ConfigureAwait(false);
                    }
                    PostVerbose($"Pulled {source} ({result.Manifest.Digest}) as {name}: {result.BlobsTransferred} blob(s) fetched ({FormatBytes(result.BytesTransferred)}), {result.BlobsSkipped} already present.");
                }
                finally
                {
                    progress.Complete();
                }
            });
            var entry = target.Resolve(name)!;
            WriteObject(KapsuleImage.Load(target, entry));
        }
    }
}
