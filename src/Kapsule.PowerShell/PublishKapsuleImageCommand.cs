using System.Linq;
using System.Management.Automation;
using Kapsule.Content;
using Kapsule.Models;
using Kapsule.Oci;
using Kapsule.Registry;

namespace Kapsule.PowerShell
{
    /// <summary>
    /// Pushes an image from the store (or an OCI layout folder) to a registry, or copies it into an OCI
    /// layout folder. Blobs the registry already has are not uploaded again.
    /// </summary>
    [Cmdlet(VerbsData.Publish, "KapsuleImage", SupportsShouldProcess = true, DefaultParameterSetName = ByReference)]
    [OutputType(typeof(KapsuleImage))]
    public sealed class PublishKapsuleImageCommand : KapsuleRegistryCmdlet
    {
        private const string ByReference = "Reference";
        private const string ByImage = "Image";

        /// <summary>An image in the store (any form Docker accepts), or oci:&lt;folder&gt;[:&lt;tag&gt;].</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = ByReference)]
        [ValidateNotNullOrEmpty]
        public string Reference { get; set; } = string.Empty;

        [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ByImage)]
        public KapsuleImage? InputObject { get; set; }

        /// <summary>Where to push: a registry reference or oci:&lt;folder&gt;[:&lt;tag&gt;]. Default: the image's own reference.</summary>
        [Parameter(Position = 1)]
        [ValidateNotNullOrEmpty]
        public string? Destination { get; set; }

        [Parameter]
        public UploadMode UploadMode { get; set; } = UploadMode.Auto;

        /// <summary>Chunk size in bytes for chunked uploads (default 64 MiB; the registry may ask for more).</summary>
        [Parameter]
        [ValidateRange(1024, long.MaxValue)]
        public long ChunkSize { get; set; } = 64L * 1024 * 1024;

        [Parameter]
        public SwitchParameter PassThru { get; set; }

        protected override void ProcessRecord()
        {
            try
            {
                Publish();
            }
            catch (PipelineStoppedException)
            {
                throw;
            }
            catch (System.Exception e)
            {
                WriteError(ToErrorRecord(e, InputObject?.Reference ?? Reference));
            }
        }

        private void Publish()
        {
            OciLayoutStore source;
            Descriptor manifest;
            string? name;
            if (InputObject != null)
            {
                source = InputObject.Store != null ? new OciLayoutStore(InputObject.Store, false) : Store;
                manifest = InputObject.Descriptor;
                name = InputObject.Reference;
            }
            else if (ImageLocation.IsOciFolder(Reference))
            {
                var loc = ImageLocation.Parse(Reference, GetUnresolvedProviderPathFromPSPath);
                source = new OciLayoutStore(loc.Folder!, false);
                manifest = ResolveInLayout(source, loc.Tag, Reference);
                name = manifest.GetAnnotation(Annotations.RefName);
            }
            else
            {
                source = Store;
                var normalized = NormalizeName(Reference);
                manifest = Store.Resolve(normalized) ?? Store.Resolve(Reference) ?? throw new KapsuleException(ErrorIds.ImageNotFound,
                    KapsuleErrorKind.ObjectNotFound, $"No image named '{Reference}' is in the store at '{Store.Root}'. Get-KapsuleImage lists the images there.")
                { Target = Reference };
                name = normalized;
            }

            var destinationText = Destination ?? name ?? throw new KapsuleException(ErrorIds.InvalidReference, KapsuleErrorKind.InvalidArgument,
                "The image has no name to push to; give -Destination.");
            var destination = ImageLocation.Parse(destinationText, GetUnresolvedProviderPathFromPSPath);
            if (!ShouldProcess(destination.ToString(), $"Publish image {manifest.Digest}")) return;

            var image = KapsuleImage.Load(source, manifest);
            long total = image.Size - manifest.Size;
            TransferResult? result = null;
            KapsuleImage? published = null;
            // Created here, on the pipeline thread: it resolves -CaFile through PowerShell's provider paths.
            using var client = destination.IsFolder ? null : CreateClient(destination.Registry!.Registry, UploadMode, ChunkSize);
            RunAsync(async ct =>
            {
                var progress = NewTransferProgress($"Publishing {destination}", total);
                try
                {
                    if (destination.IsFolder)
                    {
                        var target = new OciLayoutStore(destination.Folder!, true);
                        var tag = destination.Tag ?? TagOf(name) ?? "latest";
                        result = await ImageTransfer.CopyAsync(source, manifest, target, tag, progress, ct).ConfigureAwait(false);
                        published = KapsuleImage.Load(target, target.Resolve(tag)!);
                    }
                    else
                    {
                        var reference = destination.Registry!;
                        result = await ImageTransfer.PushAsync(client!, source, manifest, reference, progress, ct, MountSource(name, reference)).ConfigureAwait(false);
                        published = new KapsuleImage(reference.ToString(), manifest, image.Manifest, null);
                    }
                }
                finally
                {
                    progress.Complete();
                }
            });
            WriteVerbose($"Published {destination} ({manifest.Digest}): {result!.BlobsTransferred} blob(s) sent ({FormatBytes(result.BytesTransferred)}), " +
                         $"{result.BlobsSkipped} already there, {result.BlobsMounted} mounted.");
            if (PassThru) WriteObject(published);
        }

        /// <summary>The image's own repository when it lives on the destination registry too: blobs can be mounted from it.</summary>
        private static string? MountSource(string? name, Oci.Reference destination)
        {
            if (name == null || !Oci.Reference.TryParse(name, out var from, out _) || from == null) return null;
            return string.Equals(from.Registry, destination.Registry, System.StringComparison.OrdinalIgnoreCase) && from.Repository != destination.Repository
                ? from.Repository : null;
        }

        private static string? TagOf(string? reference)
            => reference != null && Oci.Reference.TryParse(reference, out var r, out _) && r != null ? r.Tag : null;
    }
}
