using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Kapsule.Content;
using Kapsule.Oci;
using Xunit;

namespace Kapsule.Tests.Content
{
    public sealed class TempStore : IDisposable
    {
        public TempStore()
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "kapsule-test-" + Guid.NewGuid().ToString("N"));
            Store = new OciLayoutStore(Path);
        }

        public string Path { get; }
        public OciLayoutStore Store { get; }
        public string[] TempFiles => Directory.GetFiles(System.IO.Path.Combine(Path, ".kapsule", "tmp"));
        public string[] Blobs => Directory.GetFiles(System.IO.Path.Combine(Path, "blobs", "sha256"));

        public void Dispose()
        {
            try { Directory.Delete(Path, true); } catch (IOException) { }
        }
    }

    /// <summary>A stream that fails after a given number of bytes, like a dropped connection.</summary>
    internal sealed class FailingStream : Kapsule.Registry.ReadOnlyStream
    {
        private readonly Stream _inner;
        private readonly long _failAfter;
        private long _read;
        public FailingStream(Stream inner, long failAfter) { _inner = inner; _failAfter = failAfter; }
        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_read >= _failAfter) throw new IOException("connection reset (simulated)");
            int n = _inner.Read(buffer, offset, (int)Math.Min(count, _failAfter - _read));
            _read += n;
            return n;
        }
        public override long Position { get => _read; set => throw new NotSupportedException(); }
    }

    public class StoreTests : IDisposable
    {
        private readonly TempStore _t = new TempStore();
        public void Dispose() => _t.Dispose();

        private static byte[] Random(int n, int seed = 1)
        {
            var b = new byte[n];
            new Random(seed).NextBytes(b);
            return b;
        }

        [Fact]
        public void CreatesAnOciLayoutThatOtherToolsRead()
        {
            Assert.Equal("{\"imageLayoutVersion\":\"1.0.0\"}", File.ReadAllText(Path.Combine(_t.Path, "oci-layout")));
            var index = ImageIndex.Parse(File.ReadAllBytes(Path.Combine(_t.Path, "index.json")));
            Assert.Empty(index.Manifests);
            Assert.Equal(MediaTypes.OciIndex, index.MediaType);
        }

        [Fact]
        public async Task VerifiedBlobAppearsUnderItsDigest()
        {
            var data = Random(3 * 1024 * 1024 + 17);
            var expected = Digest.Compute(data);
            var d = await _t.Store.WriteBlobAsync(new MemoryStream(data), "x/y", expected, data.Length);
            Assert.Equal(expected, d.Digest);
            Assert.Equal(data.Length, d.Size);
            Assert.Equal(data, File.ReadAllBytes(_t.Store.BlobPath(expected)));
            Assert.Empty(_t.TempFiles);
        }

        [Fact]
        public async Task BlobThatDoesNotMatchItsDigestIsRefusedAndNeverAppears()
        {
            var data = Random(4096);
            var claimed = Digest.Compute(Encoding.ASCII.GetBytes("something else"));
            var ex = await Assert.ThrowsAsync<KapsuleException>(() => _t.Store.WriteBlobAsync(new MemoryStream(data), "x/y", claimed, data.Length));
            Assert.Equal(ErrorIds.DigestMismatch, ex.ErrorId);
            Assert.Contains(claimed.ToString(), ex.Message);
            Assert.False(_t.Store.HasBlob(claimed));
            Assert.False(_t.Store.HasBlob(Digest.Compute(data)));
            Assert.Empty(_t.Blobs);
            Assert.Empty(_t.TempFiles);
        }

        [Fact]
        public async Task BlobLongerThanDeclaredIsCutOffAndRefused()
        {
            var data = Random(10_000);
            var ex = await Assert.ThrowsAsync<KapsuleException>(() => _t.Store.WriteBlobAsync(new MemoryStream(data), "x/y", Digest.Compute(data), 100));
            Assert.Equal(ErrorIds.SizeMismatch, ex.ErrorId);
            Assert.Empty(_t.Blobs);
        }

        [Fact]
        public async Task BlobShorterThanDeclaredIsRefused()
        {
            var data = Random(100);
            var ex = await Assert.ThrowsAsync<KapsuleException>(() => _t.Store.WriteBlobAsync(new MemoryStream(data), "x/y", Digest.Compute(data), 101));
            Assert.Equal(ErrorIds.SizeMismatch, ex.ErrorId);
            Assert.Empty(_t.Blobs);
        }

        [Fact]
        public async Task InterruptedWriteLeavesNoVisibleBlob()
        {
            var data = Random(5 * 1024 * 1024);
            var digest = Digest.Compute(data);
            await Assert.ThrowsAsync<IOException>(() => _t.Store.WriteBlobAsync(new FailingStream(new MemoryStream(data), 2 * 1024 * 1024), "x/y", digest, data.Length));
            Assert.False(_t.Store.HasBlob(digest));
            Assert.Empty(_t.Blobs);
            Assert.Empty(_t.TempFiles);
        }

        [Fact]
        public async Task CancelledWriteLeavesNoVisibleBlob()
        {
            var data = Random(2 * 1024 * 1024);
            using var cts = new CancellationTokenSource();
            var progress = new SyncProgress(n => { if (n >= 1024 * 1024) cts.Cancel(); });
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
                _t.Store.WriteBlobAsync(new MemoryStream(data), "x/y", Digest.Compute(data), data.Length, progress, cts.Token));
            Assert.Empty(_t.Blobs);
            Assert.Empty(_t.TempFiles);
        }

        [Fact]
        public async Task ExistingBlobIsNotReadAgain()
        {
            var data = Random(1000);
            var digest = (await _t.Store.WriteBlobAsync(data, "x/y")).Digest;
            var stream = new FailingStream(new MemoryStream(data), 0); // any read would throw
            var d = await _t.Store.WriteBlobAsync(stream, "x/y", digest, data.Length);
            Assert.Equal(digest, d.Digest);
        }

        [Fact]
        public async Task PartialDownloadResumesFromWhereItStopped()
        {
            var data = Random(3 * 1024 * 1024 + 5, seed: 9);
            var digest = Digest.Compute(data);
            using (var p = _t.Store.OpenPartial(digest, data.Length))
            {
                Assert.Equal(0, p.Length);
                await Assert.ThrowsAsync<IOException>(() => p.AppendAsync(new FailingStream(new MemoryStream(data), 1_000_000)));
                Assert.Equal(1_000_000, p.Length);
            }
            Assert.False(_t.Store.HasBlob(digest));
            using (var p = _t.Store.OpenPartial(digest, data.Length))
            {
                Assert.Equal(1_000_000, p.Length); // the next Range request starts here
                await p.AppendAsync(new MemoryStream(data, 1_000_000, data.Length - 1_000_000));
                var d = p.Commit("x/y");
                Assert.Equal(digest, d.Digest);
            }
            Assert.Equal(data, File.ReadAllBytes(_t.Store.BlobPath(digest)));
        }

        [Fact]
        public async Task CorruptPartialIsRejectedAndDiscarded()
        {
            var data = Random(10_000, seed: 3);
            var digest = Digest.Compute(data);
            var wrong = (byte[])data.Clone();
            wrong[5000] ^= 0xFF;
            using (var p = _t.Store.OpenPartial(digest, data.Length))
            {
                await p.AppendAsync(new MemoryStream(wrong));
                var ex = Assert.Throws<KapsuleException>(() => p.Commit("x/y"));
                Assert.Equal(ErrorIds.DigestMismatch, ex.ErrorId);
            }
            Assert.False(_t.Store.HasBlob(digest));
            using var again = _t.Store.OpenPartial(digest, data.Length);
            Assert.Equal(0, again.Length);
        }

        [Fact]
        public void SecondOpenOfTheSamePartialIsRefusedWhileTheFirstIsOpen()
        {
            var digest = Digest.Compute(new byte[] { 1 });
            using var first = _t.Store.OpenPartial(digest, 1);
            var ex = Assert.Throws<KapsuleException>(() => _t.Store.OpenPartial(digest, 1));
            Assert.Equal(ErrorIds.StoreLocked, ex.ErrorId);
        }

        private async Task<Descriptor> MakeImage(OciLayoutStore store, string name, params byte[][] layers)
        {
            using var asm = new ImageAssembler(store);
            foreach (var l in layers) await asm.AddBytesAsync(l, MediaTypes.ModelWeightRaw);
            return await asm.CommitAsync(name, Encoding.UTF8.GetBytes("{\"name\":\"" + name + "\"}"), MediaTypes.ModelConfig,
                MediaTypes.OciManifest, MediaTypes.ModelManifestArtifact);
        }

        [Fact]
        public async Task ConcurrentWritersNeverLoseAnIndexUpdate()
        {
            var tasks = Enumerable.Range(0, 24).Select(i => Task.Run(() =>
                MakeImage(new OciLayoutStore(_t.Path), $"localhost/m/model{i}:v1", Random(2048, i), Random(64, 1000)))).ToArray();
            var descriptors = await Task.WhenAll(tasks);
            var index = _t.Store.ReadIndex();
            Assert.Equal(24, index.Count);
            for (int i = 0; i < 24; i++)
            {
                var entry = _t.Store.Resolve($"localhost/m/model{i}:v1");
                Assert.NotNull(entry);
                Assert.Equal(descriptors[i].Digest, entry!.Digest);
            }
        }

        [Fact]
        public async Task TaggingAgainReplacesTheName()
        {
            var a = await MakeImage(_t.Store, "localhost/x:1", Random(10, 1));
            var b = await MakeImage(_t.Store, "localhost/x:1", Random(10, 2));
            Assert.NotEqual(a.Digest, b.Digest);
            Assert.Single(_t.Store.ReadIndex());
            Assert.Equal(b.Digest, _t.Store.Resolve("localhost/x:1")!.Digest);
        }

        [Fact]
        public async Task GarbageCollectionKeepsSharedBlobsAndRemovesTheRest()
        {
            var shared = Random(500, 42);
            var onlyA = Random(700, 43);
            var onlyB = Random(900, 44);
            await MakeImage(_t.Store, "localhost/a:1", shared, onlyA);
            await MakeImage(_t.Store, "localhost/b:1", shared, onlyB);
            Directory.CreateDirectory(Path.Combine(_t.Path, ".kapsule", "tmp"));
            File.WriteAllText(Path.Combine(_t.Path, ".kapsule", "tmp", "leftover.tmp"), "half a blob");

            Assert.True(_t.Store.Untag("localhost/a:1"));
            var report = _t.Store.CollectGarbage();

            Assert.True(_t.Store.HasBlob(Digest.Compute(shared)));
            Assert.True(_t.Store.HasBlob(Digest.Compute(onlyB)));
            Assert.False(_t.Store.HasBlob(Digest.Compute(onlyA)));
            Assert.Equal(3, report.BlobsRemoved); // onlyA, a's config, a's manifest
            Assert.Equal(1, report.TempFilesRemoved);
            var checks = await ImageVerifier.VerifyAsync(_t.Store, _t.Store.Resolve("localhost/b:1")!);
            Assert.All(checks, c => Assert.True(c.Ok));
        }

        [Fact]
        public async Task GarbageCollectionWaitsForWritersInProgress()
        {
            using var asm = new ImageAssembler(_t.Store); // holds the write lease
            var pending = await asm.AddBytesAsync(Random(100, 5), MediaTypes.ModelWeightRaw);
            var ex = Assert.Throws<KapsuleException>(() => _t.Store.CollectGarbage(lockTimeout: TimeSpan.FromMilliseconds(200)));
            Assert.Equal(ErrorIds.StoreLocked, ex.ErrorId);
            Assert.True(_t.Store.HasBlob(pending.Digest));
        }

        [Fact]
        public async Task VerifierFindsAFlippedByte()
        {
            var layer = Random(100_000, 7);
            var m = await MakeImage(_t.Store, "localhost/v:1", layer);
            var path = _t.Store.BlobPath(Digest.Compute(layer));
            var bytes = File.ReadAllBytes(path);
            bytes[12345] ^= 0x01;
            File.WriteAllBytes(path, bytes);

            var checks = await ImageVerifier.VerifyAsync(_t.Store, m);
            var bad = Assert.Single(checks, c => !c.Ok);
            Assert.Equal("layer[0]", bad.Role);
            Assert.Equal(Digest.Compute(bytes).ToString(), bad.ActualDigest);
            Assert.Equal(3, checks.Count);
        }

        [Fact]
        public async Task VerifierReportsAMissingBlob()
        {
            var layer = Random(10, 8);
            var m = await MakeImage(_t.Store, "localhost/v:2", layer);
            File.Delete(_t.Store.BlobPath(Digest.Compute(layer)));
            var checks = await ImageVerifier.VerifyAsync(_t.Store, m);
            var bad = Assert.Single(checks, c => !c.Ok);
            Assert.Equal(-1, bad.ActualSize);
            Assert.Equal("missing from the store", bad.Problem);
        }

        [Fact]
        public void CorruptIndexGivesAClearError()
        {
            File.WriteAllText(Path.Combine(_t.Path, "index.json"), "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":1}]");
            var ex = Assert.Throws<KapsuleException>(() => _t.Store.ReadIndex());
            Assert.Equal(ErrorIds.StoreCorrupt, ex.ErrorId);
        }

        [Fact]
        public void DefaultRootHonoursKapsuleStore()
        {
            var before = Environment.GetEnvironmentVariable("KAPSULE_STORE");
            try
            {
                Environment.SetEnvironmentVariable("KAPSULE_STORE", _t.Path);
                Assert.Equal(_t.Path, OciLayoutStore.DefaultRoot());
                Environment.SetEnvironmentVariable("KAPSULE_STORE", null);
                Assert.EndsWith(Path.Combine("kapsule", "store"), OciLayoutStore.DefaultRoot());
            }
            finally
            {
                Environment.SetEnvironmentVariable("KAPSULE_STORE", before);
            }
        }

        private sealed class SyncProgress : IProgress<long>
        {
            private readonly Action<long> _a;
            public SyncProgress(Action<long> a) => _a = a;
            public void Report(long value) => _a(value);
        }
    }
}

namespace Kapsule.Tests.Content
{
    public class StoreRepairTests : IDisposable
    {
        private readonly TempStore _t = new TempStore();
        public void Dispose() => _t.Dispose();

        [Fact]
        public async Task AVerifiedCopyReplacesADamagedBlobOfAnotherSize()
        {
            var data = Encoding.ASCII.GetBytes("the real weights");
            var digest = Digest.Compute(data);
            Directory.CreateDirectory(Path.GetDirectoryName(_t.Store.BlobPath(digest))!);
            File.WriteAllText(_t.Store.BlobPath(digest), "truncated");
            await _t.Store.WriteBlobAsync(new MemoryStream(data), "x/y", digest, data.Length);
            Assert.Equal(data, File.ReadAllBytes(_t.Store.BlobPath(digest)));
        }

        [Fact]
        public async Task QuarantineMovesABlobOutOfTheStore()
        {
            var d = await _t.Store.WriteBlobAsync(Encoding.ASCII.GetBytes("abc"), "x/y");
            var moved = _t.Store.Quarantine(d.Digest);
            Assert.False(_t.Store.HasBlob(d.Digest));
            Assert.True(File.Exists(moved));
            Assert.Null(_t.Store.Quarantine(d.Digest));
        }

        [Fact]
        public async Task GarbageCollectionKeepsWhatAForeignArtifactMentions()
        {
            // Another tool's entry in index.json: a media type Kapsule does not parse, listing its blobs its own way.
            var blob = await _t.Store.WriteBlobAsync(Encoding.ASCII.GetBytes("payload of another tool"), "x/y");
            var orphan = await _t.Store.WriteBlobAsync(Encoding.ASCII.GetBytes("nobody needs me"), "x/y");
            var artifact = Encoding.UTF8.GetBytes("{\"mediaType\":\"application/vnd.oci.artifact.manifest.v1+json\",\"blobs\":[{\"digest\":\"" + blob.Digest + "\",\"size\":23}]}");
            var a = await _t.Store.WriteBlobAsync(artifact, "application/vnd.oci.artifact.manifest.v1+json");
            _t.Store.Tag("other-tool", a);

            var report = _t.Store.CollectGarbage();

            Assert.True(_t.Store.HasBlob(blob.Digest));
            Assert.True(_t.Store.HasBlob(a.Digest));
            Assert.False(_t.Store.HasBlob(orphan.Digest));
            Assert.Equal(1, report.BlobsRemoved);
        }
    }
}
