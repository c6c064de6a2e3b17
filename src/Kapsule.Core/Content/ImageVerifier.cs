using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Kapsule.Oci;

namespace Kapsule.Content
{
    /// <summary>The outcome of re-hashing one blob of an image.</summary>
    public sealed class BlobCheck
    {
        public BlobCheck(string role, Descriptor descriptor)
        {
            Role = role;
            Descriptor = descriptor;
        }

        /// <summary>manifest, config or layer[i].</summary>
        public string Role { get; }
        public Descriptor Descriptor { get; }
        public string ExpectedDigest => Descriptor.Digest.ToString();
        public long ExpectedSize => Descriptor.Size;
        public string? ActualDigest { get; internal set; }
        public long ActualSize { get; internal set; } = -1;
        public bool Ok { get; internal set; }
        public string? Problem { get; internal set; }
    }

    /// <summary>
    /// Re-hashes every blob an image references (manifest, config, layers) and says which ones do not
    /// match their descriptor. Reads each blob once, streaming, whatever its size.
    /// </summary>
    public static class ImageVerifier
    {
        public static async Task<IReadOnlyList<BlobCheck>> VerifyAsync(OciLayoutStore store, Descriptor manifestDescriptor,
            IProgress<(string Role, long Done, long Total)>? progress = null, CancellationToken cancellationToken = default)
        {
            var results = new List<BlobCheck>();
            var top = await CheckAsync(store, "manifest", manifestDescriptor, progress, cancellationToken).ConfigureAwait(false);
            results.Add(top);
            if (!top.Ok) return results;

            Manifest manifest;
            try
            {
                manifest = store.ReadManifest(manifestDescriptor);
            }
            catch (KapsuleException e)
            {
                top.Ok = false;
                top.Problem = e.Message;
                return results;
            }
            results.Add(await CheckAsync(store, "config", manifest.Config, progress, cancellationToken).ConfigureAwait(false));
            for (int i = 0; i < manifest.Layers.Count; i++)
            {
                results.Add(await CheckAsync(store, $"layer[{i}]", manifest.Layers[i], progress, cancellationToken).ConfigureAwait(false));
            }
            return results;
        }

        private static async Task<BlobCheck> CheckAsync(OciLayoutStore store, string role, Descriptor d,
            IProgress<(string, long, long)>? progress, CancellationToken cancellationToken)
        {
            var check = new BlobCheck(role, d);
            var size = store.BlobSize(d.Digest);
            check.ActualSize = size;
            if (size < 0)
            {
                check.Problem = "missing from the store";
                return check;
            }
            using (var s = store.OpenBlob(d.Digest))
            using (var hasher = DigestHasher.Create(d.Digest.Algorithm))
            {
                var buffer = new byte[1 << 20];
                int n;
                long done = 0;
                while ((n = await s.ReadAsync(buffer, 0, buffer.Length, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    hasher.Append(buffer, 0, n);
                    done += n;
                    progress?.Report((role, done, size));
                }
                check.ActualDigest = hasher.Finish().ToString();
            }
            if (check.ActualDigest != d.Digest.ToString()) check.Problem = $"content hashes to {check.ActualDigest}";
            else if (size != d.Size) check.Problem = $"size is {size} bytes, descriptor says {d.Size}";
            check.Ok = check.Problem == null;
            return check;
        }
    }
}
