using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Kapsule.Oci;
using Kapsule.Registry;

namespace Kapsule.Content
{
    /// <summary>Progress of one blob in a transfer: absolute bytes done out of its size.</summary>
    public readonly struct BlobProgress
    {
        public BlobProgress(Descriptor blob, long done)
        {
            Blob = blob;
            Done = done;
        }

        public Descriptor Blob { get; }
        public long Done { get; }
    }

    /// <summary>What a transfer did, blob by blob.</summary>
    public sealed class TransferResult
    {
        public TransferResult(string reference, Descriptor manifest)
        {
            Reference = reference;
            Manifest = manifest;
        }

        public string Reference { get; }
        public Descriptor Manifest { get; }
        public int BlobsTransferred { get; internal set; }
        public int BlobsSkipped { get; internal set; }
        public int BlobsMounted { get; internal set; }
        public long BytesTransferred { get; internal set; }
    }

    /// <summary>
    /// Moves an image, with everything it references, between an OCI layout (the store, or any OCI layout
    /// folder) and a registry, or between two OCI layouts. Blobs go in parallel (bounded); the manifest goes
    /// last, so a reader never sees a manifest whose blobs are not all there. Image indexes (multi-platform
    /// images) are refused with KapsuleIndexNotSupported before anything moves.
    /// </summary>
    public static class ImageTransfer
    {
        // ------------------------------------------------------------------ push: layout -> registry

        /// <param name="mountFrom">Another repository of the same registry that probably holds the blobs (where the
        /// image came from): blobs are mounted from it instead of uploaded, when the registry allows.</param>
        public static async Task<TransferResult> PushAsync(RegistryClient client, OciLayoutStore source, Descriptor manifest,
            Reference target, IProgress<BlobProgress>? progress = null, CancellationToken cancellationToken = default, string? mountFrom = null)
        {
            RefuseIndex(manifest, target.ToString());
            var result = new TransferResult(target.ToString(), manifest);
            var m = source.ReadManifest(manifest);
            var blobs = BlobsOf(m);
            foreach (var b in blobs)
            {
                var have = source.BlobSize(b.Digest);
                if (have != b.Size)
                    throw new KapsuleException(ErrorIds.BlobNotFound, KapsuleErrorKind.ObjectNotFound,
                        $"The image is incomplete: blob {b.Digest} ({b.MediaType}) is {(have < 0 ? "missing" : $"{have} bytes, not {b.Size}")} in '{source.Root}'. Pull or build it again.")
                    { Target = b.Digest.ToString() };
            }
            await ForEachAsync(blobs, client.Options.MaxParallelTransfers, async (b, ct) =>
            {
                var outcome = await client.PushBlobAsync(target.Registry, target.Repository, b,
                    offset =>
                    {
                        var s = source.OpenBlob(b.Digest);
                        if (offset > 0) s.Seek(offset, SeekOrigin.Begin);
                        return s;
                    }, mountFrom, Relay(progress, b), ct).ConfigureAwait(false);
                lock (result)
                {
                    switch (outcome)
                    {
                        case BlobPushOutcome.Uploaded: result.BlobsTransferred++; result.BytesTransferred += b.Size; break;
                        case BlobPushOutcome.Skipped: result.BlobsSkipped++; break;
                        case BlobPushOutcome.Mounted: result.BlobsMounted++; break;
                    }
                }
            }, cancellationToken).ConfigureAwait(false);
            // The manifest goes last, so a reader never sees a manifest whose blobs are not all there.
            var pushed = await client.PutManifestAsync(target, source.ReadBlobBytes(manifest.Digest), manifest.MediaType, cancellationToken,
                manifest.Digest.Algorithm).ConfigureAwait(false);
            if (pushed != manifest.Digest) throw OciLayoutStore.Mismatch(manifest.Digest, pushed, "of the pushed manifest");
            return result;
        }

        // ------------------------------------------------------------------ pull: registry -> layout

        /// <summary>Pulls <paramref name="source"/> into <paramref name="target"/> and names it <paramref name="refName"/>.</summary>
        public static async Task<TransferResult> PullAsync(RegistryClient client, Reference source, OciLayoutStore target, string refName,
            IProgress<BlobProgress>? progress = null, CancellationToken cancellationToken = default)
        {
            var top = await client.GetManifestAsync(source, cancellationToken).ConfigureAwait(false);
            RefuseIndex(top.Descriptor, source.ToString(), top.Bytes);
            var m = Manifest.Parse(top.Bytes, top.Descriptor.MediaType);
            using var lease = target.AcquireWriteLease(cancellationToken);
            var result = new TransferResult(refName, top.Descriptor);
            await ForEachAsync(BlobsOf(m), client.Options.MaxParallelTransfers, async (b, ct) =>
            {
                bool had = target.BlobSize(b.Digest) == b.Size;
                await client.PullBlobAsync(source.Registry, source.Repository, b, target, Relay(progress, b), ct).ConfigureAwait(false);
                lock (result)
                {
                    if (had) result.BlobsSkipped++;
                    else { result.BlobsTransferred++; result.BytesTransferred += b.Size; }
                }
            }, cancellationToken).ConfigureAwait(false);
            // The manifest is written after its blobs, verified against the digest it was fetched by.
            await target.WriteBlobAsync(new MemoryStream(top.Bytes, false), top.Descriptor.MediaType, top.Descriptor.Digest,
                top.Bytes.Length, null, cancellationToken).ConfigureAwait(false);
            target.Tag(refName, top.Descriptor, cancellationToken);
            return result;
        }

        // ------------------------------------------------------------------ copy: layout -> layout

        /// <summary>Copies an image between two OCI layouts (the store and a folder, or two folders).</summary>
        public static async Task<TransferResult> CopyAsync(OciLayoutStore source, Descriptor manifest, OciLayoutStore target, string refName,
            IProgress<BlobProgress>? progress = null, CancellationToken cancellationToken = default)
        {
            RefuseIndex(manifest, refName);
            var bytes = source.ReadBlobBytes(manifest.Digest);
            var m = Manifest.Parse(bytes, manifest.MediaType);
            using var lease = target.AcquireWriteLease(cancellationToken);
            var result = new TransferResult(refName, manifest);
            foreach (var b in BlobsOf(m))
            {
                if (target.BlobSize(b.Digest) == b.Size) { result.BlobsSkipped++; continue; }
                using (var s = source.OpenBlob(b.Digest))
                {
                    await target.WriteBlobAsync(s, b.MediaType, b.Digest, b.Size, Relay(progress, b), cancellationToken).ConfigureAwait(false);
                }
                result.BlobsTransferred++;
                result.BytesTransferred += b.Size;
            }
            await target.WriteBlobAsync(new MemoryStream(bytes, false), manifest.MediaType, manifest.Digest, bytes.Length, null, cancellationToken).ConfigureAwait(false);
            target.Tag(refName, manifest, cancellationToken);
            return result;
        }

        // ------------------------------------------------------------------ helpers

        /// <summary>Config and layers, each digest once.</summary>
        private static List<Descriptor> BlobsOf(Manifest m)
            => new[] { m.Config }.Concat(m.Layers).GroupBy(b => b.Digest).Select(g => g.First()).ToList();

        /// <summary>
        /// Image indexes (multi-platform images) are not models Kapsule can lay out: say so before any byte moves,
        /// and name the manifests inside so the user can pick one by digest.
        /// </summary>
        private static void RefuseIndex(Descriptor d, string name, byte[]? bytes = null)
        {
            if (!MediaTypes.IsIndex(d.MediaType)) return;
            string children = string.Empty;
            if (bytes != null)
            {
                try
                {
                    children = " It holds: " + string.Join(", ", ImageIndex.Parse(bytes).Manifests.Select(c =>
                        c.Digest + (c.Platform != null ? $" ({c.Platform.Os}/{c.Platform.Architecture})" : string.Empty))) + ".";
                }
                catch (KapsuleException) { }
            }
            throw new KapsuleException("KapsuleIndexNotSupported", KapsuleErrorKind.NotImplemented,
                $"{name} is an image index (a list of manifests, e.g. one per platform), not a single model image.{children} " +
                "Name one manifest by digest: <repository>@sha256:<digest>.") { Target = name };
        }

        private static IProgress<long>? Relay(IProgress<BlobProgress>? progress, Descriptor blob)
            => progress == null ? null : new RelayProgress(progress, blob);

        private sealed class RelayProgress : IProgress<long>
        {
            private readonly IProgress<BlobProgress> _target;
            private readonly Descriptor _blob;
            public RelayProgress(IProgress<BlobProgress> target, Descriptor blob) { _target = target; _blob = blob; }
            public void Report(long value) => _target.Report(new BlobProgress(_blob, value));
        }

        /// <summary>
        /// Runs <paramref name="body"/> for each item, at most <paramref name="parallelism"/> at once. The first
        /// failure cancels the others (downloads keep their partial files for the next attempt) and is the one
        /// reported.
        /// </summary>
        private static async Task ForEachAsync<T>(IEnumerable<T> items, int parallelism, Func<T, CancellationToken, Task> body, CancellationToken cancellationToken)
        {
            using var gate = new SemaphoreSlim(Math.Max(1, parallelism));
            using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var tasks = new List<Task>();
            try
            {
                foreach (var item in items)
                {
                    await gate.WaitAsync(failed.Token).ConfigureAwait(false);
                    tasks.Add(Task.Run(async () =>
                    {
                        try { await body(item, failed.Token).ConfigureAwait(false); }
                        catch { failed.Cancel(); throw; }
                        finally { gate.Release(); }
                    }));
                }
            }
            catch (OperationCanceledException) when (failed.IsCancellationRequested)
            {
                // a transfer failed or the user cancelled: wait for the running ones, then report
            }
            try
            {
                await Task.WhenAll(tasks).ConfigureAwait(false);
            }
            catch
            {
                var first = tasks.Where(t => t.IsFaulted).Select(t => t.Exception!.GetBaseException())
                    .FirstOrDefault(e => !(e is OperationCanceledException));
                if (first != null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(first).Throw();
                throw;
            }
            cancellationToken.ThrowIfCancellationRequested();
        }
    }
}
