using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using Kapsule.Content;
using Kapsule.Models;
using Kapsule.Oci;

namespace Kapsule.PowerShell
{
    /// <summary>The result of Test-KapsuleImage for one image.</summary>
    public sealed class KapsuleImageTestResult
    {
        internal KapsuleImageTestResult(string? reference, string digest, IReadOnlyList<BlobCheck> blobs)
        {
            Reference = reference;
            Digest = digest;
            Blobs = blobs.ToArray();
        }

        public string? Reference { get; }
        public string Digest { get; }
        public bool Passed => Blobs.All(b => b.Ok);
        public BlobCheck[] Blobs { get; }
        public BlobCheck[] Failures => Blobs.Where(b => !b.Ok).ToArray();
    }

    /// <summary>
    /// Re-hashes every blob of an image (manifest, config, layers) and reports each one that is
    /// missing or does not match its digest and size.
    /// </summary>
    [Cmdlet(VerbsDiagnostic.Test, "KapsuleImage")]
    [OutputType(typeof(KapsuleImageTestResult), typeof(bool))]
    public sealed class TestKapsuleImageCommand : KapsuleStoreCmdlet
    {
        [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("Name")]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string[]? Reference { get; set; }

        /// <summary>Emit only $true or $false per image, no errors.</summary>
        [Parameter]
        public SwitchParameter Quiet { get; set; }

        protected override void ProcessRecord()
        {
            var entries = Store.ReadIndex();
            var targets = new List<Descriptor>();
            if (Reference is null) targets.AddRange(entries);
            else
            {
                foreach (var name in Reference)
                {
                    var m = Match(entries, name).ToList();
                    if (m.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(name))
                    {
                        if (Quiet) WriteObject(false);
                        else WriteError(NotFound(name));
                    }
                    targets.AddRange(m);
                }
            }

            foreach (var entry in targets)
            {
                var name = entry.GetAnnotation(Annotations.RefName) ?? entry.Digest.ToString();
                IReadOnlyList<BlobCheck> checks = new BlobCheck[0];
                RunAsync(async ct =>
                {
                    ByteProgress? bar = null;
                    string? current = null;
                    checks = await ImageVerifier.VerifyAsync(Store, entry, new InlineProgress(p =>
                    {
                        if (p.Role != current)
                        {
                            bar?.Complete();
                            current = p.Role;
                            bar = NewProgress($"Verifying {name}", p.Role, p.Total);
                        }
                        bar!.Report(p.Done);
                    }), ct).ConfigureAwait(false);
                    bar?.Complete();
                });

                var result = new KapsuleImageTestResult(entry.GetAnnotation(Annotations.RefName), entry.Digest.ToString(), checks);
                // A blob that does not match its digest is moved out of the store, so that pulling or building the
                // image again fetches it instead of trusting the damaged copy.
                foreach (var bad in result.Failures.Where(b => b.ActualSize >= 0 && b.ActualDigest != b.ExpectedDigest))
                {
                    var moved = Store.Quarantine(bad.Descriptor.Digest);
                    if (moved != null) WriteVerbose($"Moved the damaged blob {bad.ExpectedDigest} to {moved}.");
                }
                if (Quiet)
                {
                    WriteObject(result.Passed);
                    continue;
                }
                foreach (var bad in result.Failures)
                {
                    string id = bad.ActualSize < 0 ? ErrorIds.BlobNotFound
                        : bad.ActualDigest != bad.ExpectedDigest ? ErrorIds.DigestMismatch
                        : bad.ActualSize != bad.ExpectedSize ? ErrorIds.SizeMismatch
                        : ErrorIds.InvalidManifest;
                    var e = new KapsuleException(id, id == ErrorIds.BlobNotFound ? KapsuleErrorKind.ObjectNotFound : KapsuleErrorKind.InvalidData,
                        $"{name}: {bad.Role} {bad.ExpectedDigest} {bad.Problem}. Pull or build the image again to repair it.")
                    { Target = bad.ExpectedDigest };
                    WriteError(ToErrorRecord(e));
                }
                WriteObject(result);
            }
        }

        private sealed class InlineProgress : System.IProgress<(string Role, long Done, long Total)>
        {
            private readonly System.Action<(string Role, long Done, long Total)> _report;
            public InlineProgress(System.Action<(string Role, long Done, long Total)> report) => _report = report;
            public void Report((string Role, long Done, long Total) value) => _report(value);
        }
    }
}
