using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using Kapsule.Content;
using Kapsule.Models;
using Kapsule.Oci;
using Kapsule.Registry;

namespace Kapsule.PowerShell
{
    /// <summary>Base for cmdlets that talk to registries: credentials, transport switches, progress.</summary>
    public abstract class KapsuleRegistryCmdlet : KapsuleStoreCmdlet
    {
        /// <summary>Credentials for the registry; else the docker/podman login files are used.</summary>
        [Parameter]
        [Credential]
        public PSCredential? Credential { get; set; }

        /// <summary>Allow plain HTTP (and credentials over it) to a registry that is not on loopback.</summary>
        [Parameter]
        public SwitchParameter AllowInsecure { get; set; }

        [Parameter]
        public SwitchParameter SkipCertificateCheck { get; set; }

        /// <summary>PEM file of CA certificates to trust for the registry's TLS certificate.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? CaFile { get; set; }

        /// <summary>Blobs transferred at once.</summary>
        [Parameter]
        [ValidateRange(1, 32)]
        public int ThrottleLimit { get; set; } = 3;

        protected RegistryClient CreateClient(string registry, UploadMode uploadMode = UploadMode.Auto, long chunkSize = 64L * 1024 * 1024)
        {
            ICredentialProvider? provider = DefaultCredentialProvider();
            if (Credential != null)
            {
                var net = Credential.GetNetworkCredential();
                provider = new StaticCredentialProvider(registry,
                    new RegistryCredential(Credential.UserName, net.Password) { Source = "-Credential" }, provider);
            }
            return new RegistryClient(new RegistryClientOptions
            {
                Credentials = provider,
                AllowInsecure = AllowInsecure,
                SkipCertificateCheck = SkipCertificateCheck,
                CaFile = CaFile is null ? null : GetUnresolvedProviderPathFromPSPath(CaFile),
                MaxParallelTransfers = ThrottleLimit,
                UploadMode = uploadMode,
                ChunkSize = chunkSize,
                Log = PostVerbose,
            });
        }

        /// <summary>Logins stored by Connect-KapsuleRegistry, docker login or podman login.</summary>
        protected static ICredentialProvider? DefaultCredentialProvider() => new DockerConfigCredentialProvider();

        /// <summary>The image called <paramref name="tag"/> in a layout, or its only image when no tag is given.</summary>
        protected static Descriptor ResolveInLayout(OciLayoutStore layout, string? tag, string shownAs)
        {
            var entries = layout.ReadIndex();
            if (tag != null)
            {
                return layout.Resolve(tag) ?? throw new KapsuleException(ErrorIds.ImageNotFound, KapsuleErrorKind.ObjectNotFound,
                    $"No image named '{tag}' is in '{layout.Root}'. Names there: {string.Join(", ", entries.Select(e => e.GetAnnotation(Annotations.RefName) ?? e.Digest.ToString()))}.")
                { Target = shownAs };
            }
            if (entries.Count == 1) return entries[0];
            throw new KapsuleException(ErrorIds.ImageNotFound, KapsuleErrorKind.InvalidArgument,
                $"'{layout.Root}' holds {entries.Count} images; name one as oci:<folder>:<tag>.") { Target = shownAs };
        }

        /// <summary>
        /// Write-Progress for a transfer: one overall bar (bytes of all blobs) and a child bar per blob in flight.
        /// </summary>
        protected sealed class TransferProgress : IProgress<BlobProgress>
        {
            private readonly KapsuleCmdlet _owner;
            private readonly ByteProgress _overall;
            private readonly ConcurrentDictionary<Digest, (ByteProgress Bar, long Done)> _blobs = new ConcurrentDictionary<Digest, (ByteProgress, long)>();
            private readonly Func<string, string, long, int, int, ByteProgress> _factory;
            private long _total;
            private long _done;
            private int _nextId = 2;

            internal TransferProgress(KapsuleCmdlet owner, string activity, long totalBytes, Func<string, string, long, int, int, ByteProgress> factory)
            {
                _owner = owner;
                _factory = factory;
                _total = totalBytes;
                _overall = factory(activity, "starting", totalBytes, 1, -1);
            }

            public void Report(BlobProgress value)
            {
                var entry = _blobs.GetOrAdd(value.Blob.Digest, d =>
                {
                    var name = value.Blob.GetAnnotation(Annotations.ModelFilePath) ?? value.Blob.GetAnnotation(Annotations.Title) ?? d.ToString().Substring(0, 19);
                    return (_factory($"{KindName(value.Blob)} {name}", d.ToString(), value.Blob.Size, Interlocked.Increment(ref _nextId), 1), 0);
                });
                long delta = value.Done - entry.Done;
                _blobs[value.Blob.Digest] = (entry.Bar, value.Done);
                long done = Interlocked.Add(ref _done, delta);
                entry.Bar.Report(value.Done);
                _overall.Report(done);
                if (value.Done >= value.Blob.Size) entry.Bar.Complete();
            }

            private static string KindName(Descriptor d) => KapsuleLayer.KindOf(d.MediaType) is LayerKind k && k != LayerKind.Other ? k.ToString() : "Blob";

            public void Complete()
            {
                foreach (var b in _blobs.Values) b.Bar.Complete();
                _overall.Complete();
            }
        }

        protected TransferProgress NewTransferProgress(string activity, long totalBytes)
            => new TransferProgress(this, activity, totalBytes, (a, s, t, id, parent) => NewProgress(a, s, t, id, parent));
    }
}
