using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using Kapsule.Content;
using Kapsule.Models;
using Kapsule.Oci;

namespace Kapsule.PowerShell
{
    /// <summary>Base for cmdlets that work on the local store: -StorePath and name matching.</summary>
    public abstract class KapsuleStoreCmdlet : KapsuleCmdlet
    {
        /// <summary>The store folder. Default: $env:KAPSULE_STORE, else the user's data folder.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? StorePath { get; set; }

        private OciLayoutStore? _store;

        protected OciLayoutStore Store => _store ??= new OciLayoutStore(
            StorePath is null ? OciLayoutStore.DefaultRoot() : GetUnresolvedProviderPathFromPSPath(StorePath));

        /// <summary>
        /// Index entries whose name matches <paramref name="pattern"/>: a wildcard pattern over the full
        /// reference, or a reference in any form Docker accepts (`model`, `host:5000/ns/model:tag`),
        /// compared after normalisation, or a manifest digest.
        /// </summary>
        protected IEnumerable<Descriptor> Match(IReadOnlyList<Descriptor> entries, string pattern)
        {
            if (WildcardPattern.ContainsWildcardCharacters(pattern))
            {
                var wc = WildcardPattern.Get(pattern, WildcardOptions.IgnoreCase | WildcardOptions.CultureInvariant);
                return entries.Where(e => e.GetAnnotation(Annotations.RefName) is string n && wc.IsMatch(n));
            }
            if (Digest.TryParse(pattern, out var digest))
            {
                return entries.Where(e => e.Digest == digest);
            }
            var normalized = NormalizeName(pattern);
            return entries.Where(e => e.GetAnnotation(Annotations.RefName) is string n && (n == pattern || n == normalized));
        }

        protected static string NormalizeName(string name) => ReferenceNames.Normalize(name);

        protected KapsuleImage? TryLoad(Descriptor entry)
        {
            try
            {
                return KapsuleImage.Load(Store, entry);
            }
            catch (KapsuleException e)
            {
                WriteError(ToErrorRecord(e, entry.GetAnnotation(Annotations.RefName) ?? entry.Digest.ToString()));
                return null;
            }
        }

        protected ErrorRecord NotFound(string name)
        {
            var e = new KapsuleException(ErrorIds.ImageNotFound, KapsuleErrorKind.ObjectNotFound,
                $"No image named '{name}' is in the store at '{Store.Root}'. Get-KapsuleImage lists the images there.")
            { Target = name };
            return ToErrorRecord(e);
        }
    }
}
