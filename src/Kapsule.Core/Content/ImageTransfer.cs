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
    /// last, so a reader never sees a manifest whose blobs are not all there. Images whose manifest is an
    /// index are followed to their child manifests.
    /// </summary>
    public static class ImageTransfer
    {
        private const int MaxDepth = 4;

        // ------------------------------------------------------------------ push: layout -> registry

        /// <param name="mountFrom">Another repository of the same registry that probably holds the blobs (where the
        /// image came from): blobs are mounted from it instead of uploaded, when the registry allows.</param>
        public static async Task<TransferResult> PushAsync(RegistryClient client, OciLayoutStore source, Descriptor manifest,
            Reference target, IProgress<BlobProgress>? progress = null, CancellationToken cancellationToken = default, string? mountFrom = null)
        {
            var result = new TransferResult(target.ToString(), manifest);
            await PushNodeAsync(client, source, manifest, target, result, progress, 0, mountFrom, cancellationToken).ConfigureAwait(false);
            var bytes = source.ReadBlobBytes(manifest.Digest);
            var pushed = await client.PutManifestAsync(target, bytes, manifest.MediaType, cancellationToken).ConfigureAwait(false);
            if (pushed != manifest.Digest) throw OciLayoutStore.Mismatch(manifest.Digest, pushed, "of the pushed manifest");
            return result;
        }

        private static async Task PushNodeAsync(RegistryClient client, OciLayoutStore source, Descriptor node, Reference target,
            TransferResult result, IProgress<BlobProgress>? progress, int depth, string? mountFrom, CancellationToken cancellationToken)
        {
            if (MediaTypes.IsIndex(node.MediaType))
            {
                if (depth >= MaxDepth) throw TooDeep(node);
                var index = ImageIndex.Parse(source.ReadBlobBytes(node.Digest));
                foreach (var child in index.Manifests)
                {
                    await PushNodeAsync(client, source, child, target, result, progress, depth + 1, mountFrom, cancellationToken).ConfigureAwait(false);
                    var childRef = target.WithDigest(child.Digest);
                    await client.PutManifestAsync(childRef, source.ReadBlobBytes(child.Digest), child.MediaType, cancellationToken).ConfigureAwait(false);
                }
                return;
            }
            var m = source.ReadManifest(node);
            var blobs = new List<Descriptor> { m.Config };
            blobs.AddRange(m.Layers);
            foreach (var b in blobs)
            {
                var have = source.BlobSize(b.Digest);
                if (have != b.Size)
                    throw new KapsuleException(ErrorIds.BlobNotFound, KapsuleErrorKind.ObjectNotFound,
                        $"The image is incomplete: blob {b.Digest} ({b.MediaType}) is {(have < 0 ? "missing" : $"{have} bytes, not {b.Size}")} in '{source.Root}'. Pull or build it again.")
                    { Target = b.Digest.ToString() };
            }
            await ForEachAsync(Distinct(blobs), client.Options.MaxParallelTransfers, async b =>
            {
                var outcome = await client.PushBlobAsync(target.Registry, target.Repository, b,
                    offset =>
                    {
                        var s = source.OpenBlob(b.Digest);
                        if (offset > 0) s.Seek(offset, SeekOrigin.Begin);
                        return s;
                    }, mountFrom, Relay(progress, b), cancellationToken).ConfigureAwait(false);
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
        }

        // ------------------------------------------------------------------ pull: registry -> layout

        /// <summary>Pulls <paramref name="source"/> into <paramref name="target"/> and names it <paramref name="refName"/>.</summary>
        public static async Task<TransferResult> PullAsync(RegistryClient client, Reference source, OciLayoutStore target, string refName,
            IProgress<BlobProgress>? progress = null, CancellationToken cancellationToken = default)
        {
            using var lease = target.AcquireWriteLease(cancellationToken);
            var top = await client.GetManifestAsync(source, cancellationToken).ConfigureAwait(false);
            var result = new TransferResult(refName, top.Descriptor);
            await PullNodeAsync(client, source, top, target, result, progress, 0, cancellationToken).ConfigureAwait(false);
            target.Tag(refName, top.Descriptor, cancellationToken);
            return result;
        }

        private static async Task PullNodeAsync(RegistryClient client, Reference source, ManifestResult node, OciLayoutStore target,
            TransferResult result, IProgress<BlobProgress>? progress, int depth, CancellationToken cancellationToken)
        {
            if (MediaTypes.IsIndex(node.Descriptor.MediaType))
            {
                if (depth >= MaxDepth) throw TooDeep(node.Descriptor);
                var index = ImageIndex.Parse(node.Bytes);
                foreach (var child in index.Manifests)
                {
                    var fetched = await client.GetManifestAsync(source.WithDigest(child.Digest), cancellationToken).ConfigureAwait(false);
                    if (fetched.Descriptor.Size != child.Size) throw SizeMismatch(child, fetched.Descriptor.Size);
                    await PullNodeAsync(client, source, fetched, target, result, progress, depth + 1, cancellationToken).ConfigureAwait(false);
                }
            }
            else
            {
                var m = Manifest.Parse(node.Bytes, node.Descriptor.MediaType);
                var blobs = new List<Descriptor> { m.Config };
                blobs.AddRange(m.Layers);
                await ForEachAsync(Distinct(blobs), client.Options.MaxParallelTransfers, async b =>
                {
                    bool had = target.BlobSize(b.Digest) == b.Size;
                    await client.PullBlobAsync(source.Registry, source.Repository, b, target, Relay(progress, b), cancellationToken).ConfigureAwait(false);
                    lock (result)
                    {
                        if (had) result.BlobsSkipped++;
                        else { result.BlobsTransferred++; result.BytesTransferred += b.Size; }
                    }
                }, cancellationToken).ConfigureAwait(false);
            }
            // The manifest is written after its blobs, verified against the digest it was fetched by.
            await target.WriteBlobAsync(new MemoryStream(node.Bytes, false), node.Descriptor.MediaType, node.Descriptor.Digest,
                node.Bytes.Length, null, cancellationToken).ConfigureAwait(false);
        }

        // ------------------------------------------------------------------ copy: layout -> layout

        /// <summary>Copies an image between two OCI layouts (the store and a folder, or two folders).</summary>
        public static async Task<TransferResult> CopyAsync(OciLayoutStore source, Descriptor manifest, OciLayoutStore target, string refName,
            IProgress<BlobProgress>? progress = null, CancellationToken cancellationToken = default)
        {
            using var lease = target.AcquireWriteLease(cancellationToken);
            var result = new TransferResult(refName, manifest);
            await CopyNodeAsync(source, manifest, target, result, progress, 0, cancellationToken).ConfigureAwait(false);
            target.Tag(refName, manifest, cancellationToken);
            return result;
        }

        private static async Task CopyNodeAsync(OciLayoutStore source, Descriptor node, OciLayoutStore target, TransferResult result,
            IProgress<BlobProgress>? progress, int depth, CancellationToken cancellationToken)
        {
            var bytes = source.ReadBlobBytes(node.Digest);
            var children = new List<Descriptor>();
            if (MediaTypes.IsIndex(node.MediaType))
            {
                if (depth >= MaxDepth) throw TooDeep(node);
                foreach (var child in ImageIndex.Parse(bytes).Manifests)
                    await CopyNodeAsync(source, child, target, result, progress, depth + 1, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                var m = Manifest.Parse(bytes, node.MediaType);
                children.Add(m.Config);
                children.AddRange(m.Layers);
            }
            foreach (var b in Distinct(children))
            {
                if (target.BlobSize(b.Digest) == b.Size) { result.BlobsSkipped++; continue; }
                using (var s = source.OpenBlob(b.Digest))
                {
                    await target.WriteBlobAsync(s, b.MediaType, b.Digest, b.Size, Relay(progress, b), cancellationToken).ConfigureAwait(false);
                }
                result.BlobsTransferred++;
                result.BytesTransferred += b.Size;
            }
            await target.WriteBlobAsync(new MemoryStream(bytes, false), node.MediaType, node.Digest, bytes.Length, null, cancellationToken).ConfigureAwait(false);
        }

        // ------------------------------------------------------------------ helpers

        private static IEnumerable<Descriptor> Distinct(IEnumerable<Descriptor> blobs)
            => blobs.GroupBy(b => b.Digest).Select(g => g.First());

        private static IProgress<long>? Relay(IProgress<BlobProgress>? progress, Descriptor blob)
            => progress == null ? null : new RelayProgress(progress, blob);

        private sealed class RelayProgress : IProgress<long>
        {
            private readonly IProgress<BlobProgress> _target;
            private readonly Descriptor _blob;
            public RelayProgress(IProgress<BlobProgress> target, Descriptor blob) { _target = target; _blob = blob; }
            public void Report(long value) => _target.Report(new BlobProgress(_blob, value));
        }

        private static async Task ForEachAsync<T>(IEnumerable<T> items, int parallelism, Func<T, Task> body, CancellationToken cancellationToken)
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
                        try { await body(item).ConfigureAwait(false); }
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
                // Report the first real failure rather than the cancellations it caused in the others.
                var first = tasks.Where(t => t.IsFaulted).Select(t => t.Exception!.GetBaseException())
                    .FirstOrDefault(e => !(e is OperationCanceledException));
                if (first != null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(first).Throw();
                throw;
            }
            cancellationToken.ThrowIfCancellationRequested();
        }

        private static KapsuleException TooDeep(Descriptor d)
            => new KapsuleException(ErrorIds.InvalidManifest, KapsuleErrorKind.InvalidData,
                $"Index {d.Digest} nests deeper than {MaxDepth} levels; it was refused.") { Target = d.Digest.ToString() };

        private static KapsuleException SizeMismatch(Descriptor d, long actual)
            => new KapsuleException(ErrorIds.SizeMismatch, KapsuleErrorKind.InvalidData,
                $"Manifest {d.Digest} is {actual} bytes, but the index declares {d.Size}; it was refused.") { Target = d.Digest.ToString() };
    }
}
