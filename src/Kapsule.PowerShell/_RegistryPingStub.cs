// STUB — the lead deletes this at merge
// Stands in for Kapsule.Registry.RegistryClient (Kapsule.Core) so Connect-KapsuleRegistry compiles before the
// registry client is merged. It checks nothing: verification fails and says to use -SkipVerify.
using System;
using System.Threading;
using System.Threading.Tasks;

namespace Kapsule.Registry
{
    internal sealed class RegistryClientOptions
    {
        public ICredentialProvider? Credentials { get; set; }
        public bool AllowInsecure { get; set; }
        public bool SkipCertificateCheck { get; set; }
        public string? CaFile { get; set; }
    }

    internal sealed class RegistryClient : IDisposable
    {
        public RegistryClient(RegistryClientOptions options)
        {
            _ = options;
        }

        public Task PingAsync(string registry, CancellationToken cancellationToken)
        {
            throw new KapsuleException("KapsuleNotImplemented", KapsuleErrorKind.NotImplemented,
                $"This build cannot check a login against '{registry}' yet. Use -SkipVerify to store it without checking.")
            { Target = registry };
        }

        public void Dispose()
        {
        }
    }
}
