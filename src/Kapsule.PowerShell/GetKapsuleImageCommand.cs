using System.Collections.Generic;
using System.Management.Automation;
using Kapsule.Models;
using Kapsule.Oci;

namespace Kapsule.PowerShell
{
    /// <summary>Lists the images in the local store, optionally filtered by name (wildcards allowed).</summary>
    [Cmdlet(VerbsCommon.Get, "KapsuleImage")]
    [OutputType(typeof(KapsuleImage))]
    public sealed class GetKapsuleImageCommand : KapsuleStoreCmdlet
    {
        [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("Name")]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string[]? Reference { get; set; }

        protected override void ProcessRecord()
        {
            IReadOnlyList<Descriptor> entries;
            try
            {
                entries = Store.ReadIndex();
            }
            catch (KapsuleException e)
            {
                ThrowTerminatingError(ToErrorRecord(e, Store.Root));
                return;
            }

            if (Reference is null)
            {
                foreach (var entry in entries)
                {
                    if (TryLoad(entry) is KapsuleImage image) WriteObject(image);
                }
                return;
            }

            foreach (var name in Reference)
            {
                bool any = false;
                foreach (var entry in Match(entries, name))
                {
                    any = true;
                    if (TryLoad(entry) is KapsuleImage image) WriteObject(image);
                }
                if (!any && !WildcardPattern.ContainsWildcardCharacters(name)) WriteError(NotFound(name));
            }
        }
    }
}
