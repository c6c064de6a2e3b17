using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using Kapsule.Models;
using Kapsule.Oci;

namespace Kapsule.PowerShell
{
    /// <summary>
    /// Removes images from the local store by name, then deletes the blobs no remaining image uses
    /// (a blob shared with another image stays).
    /// </summary>
    [Cmdlet(VerbsCommon.Remove, "KapsuleImage", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(KapsuleImage))]
    public sealed class RemoveKapsuleImageCommand : KapsuleStoreCmdlet
    {
        private readonly List<KapsuleImage> _removed = new List<KapsuleImage>();
        private int _untagged;

        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("Name")]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string[] Reference { get; set; } = new string[0];

        /// <summary>Keep unreferenced blobs (skip garbage collection).</summary>
        [Parameter]
        public SwitchParameter NoPrune { get; set; }

        /// <summary>Emit the removed images.</summary>
        [Parameter]
        public SwitchParameter PassThru { get; set; }

        protected override void ProcessRecord()
        {
            IReadOnlyList<Descriptor> entries = Store.ReadIndex();
            foreach (var name in Reference)
            {
                var matches = Match(entries, name).ToList();
                if (matches.Count == 0)
                {
                    if (!WildcardPattern.ContainsWildcardCharacters(name)) WriteError(NotFound(name));
                    continue;
                }
                foreach (var entry in matches)
                {
                    var refName = entry.GetAnnotation(Annotations.RefName);
                    var target = refName ?? entry.Digest.ToString();
                    if (!ShouldProcess($"{target} ({entry.Digest})", "Remove image")) continue;
                    // A damaged or unreadable image can still be removed; it is only not emitted by -PassThru.
                    KapsuleImage? image = null;
                    try { image = KapsuleImage.Load(Store, entry); }
                    catch (KapsuleException) { }
                    try
                    {
                        if (refName != null && Store.Untag(refName, CancellationToken))
                        {
                            _untagged++;
                            if (image != null) _removed.Add(image);
                        }
                    }
                    catch (KapsuleException e)
                    {
                        WriteError(ToErrorRecord(e, target));
                    }
                }
            }
        }

        protected override void EndProcessing()
        {
            if (_untagged > 0 && !NoPrune)
            {
                try
                {
                    var report = Store.CollectGarbage(false, CancellationToken);
                    WriteVerbose($"Removed {report.BlobsRemoved} unreferenced blob(s), {FormatBytes(report.BytesFreed)} freed.");
                }
                catch (KapsuleException e)
                {
                    WriteError(ToErrorRecord(e, Store.Root));
                }
            }
            if (PassThru) WriteObject(_removed, true);
        }
    }
}
