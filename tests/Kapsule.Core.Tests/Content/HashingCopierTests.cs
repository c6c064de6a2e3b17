using System;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Kapsule.Content;
using Kapsule.Oci;
using Xunit;

namespace Kapsule.Tests.Content
{
    public class HashingCopierTests
    {
        /// <summary>Gives its bytes in uneven pieces, like a socket, and can fail after some of them.</summary>
        private sealed class ChoppyStream : Kapsule.Registry.ReadOnlyStream
        {
            private readonly byte[] _data;
            private readonly long _failAt;
            private readonly Random _sizes = new Random(3);
            private int _pos;
            public ChoppyStream(byte[] data, long failAt = -1) { _data = data; _failAt = failAt; }
            public override int Read(byte[] buffer, int offset, int count)
            {
                if (_failAt >= 0 && _pos >= _failAt) throw new IOException("connection reset (simulated)");
                int n = Math.Min(Math.Min(count, _sizes.Next(1, 40_000)), _data.Length - _pos);
                if (_failAt >= 0) n = (int)Math.Min(n, _failAt - _pos);
                Array.Copy(_data, _pos, buffer, offset, n);
                _pos += n;
                return n;
            }
            public override long Position { get => _pos; set => throw new NotSupportedException(); }
        }

        private sealed class BrokenDisk : MemoryStream
        {
            private readonly long _fullAt;
            public BrokenDisk(long fullAt) => _fullAt = fullAt;
            public override void Write(byte[] buffer, int offset, int count)
            {
                if (Length + count > _fullAt) throw new IOException("No space left on device");
                base.Write(buffer, offset, count);
            }
        }

        private static byte[] Data(int n)
        {
            var b = new byte[n];
            new Random(n).NextBytes(b);
            return b;
        }

        private static KapsuleException TooLong() => new KapsuleException(ErrorIds.SizeMismatch, KapsuleErrorKind.InvalidData, "too long");

        [Fact]
        public async Task CopiesAndHashesEveryByteInOrder()
        {
            var data = Data(5_000_001);
            var output = new MemoryStream();
            using var hasher = DigestHasher.Create();
            var outcome = new HashingCopier.Outcome();
            await HashingCopier.CopyAsync(new ChoppyStream(data), output, hasher, 0, -1, TooLong, null, outcome, CancellationToken.None);
            Assert.Equal(data.Length, outcome.Bytes);
            Assert.Equal(data, output.ToArray());
            Assert.Equal(Digest.Compute(data), hasher.Finish());
        }

        [Fact]
        public async Task AFailedSourceLeavesHashAndFileInStep()
        {
            var data = Data(3_000_000);
            var output = new MemoryStream();
            using var hasher = DigestHasher.Create();
            var outcome = new HashingCopier.Outcome();
            await Assert.ThrowsAsync<IOException>(() =>
                HashingCopier.CopyAsync(new ChoppyStream(data, failAt: 1_234_567), output, hasher, 0, -1, TooLong, null, outcome, CancellationToken.None));
            Assert.Equal(1_234_567, outcome.Bytes);
            Assert.Equal(data.Take(1_234_567).ToArray(), output.ToArray());
            Assert.Equal(Digest.Compute(output.ToArray()), hasher.Finish());
        }

        [Fact]
        public async Task AFullDiskIsReportedAsAStoreWriteFailure()
        {
            var data = Data(4_000_000);
            using var hasher = DigestHasher.Create();
            var outcome = new HashingCopier.Outcome();
            var ex = await Assert.ThrowsAsync<KapsuleException>(() =>
                HashingCopier.CopyAsync(new ChoppyStream(data), new BrokenDisk(1_000_000), hasher, 0, -1, TooLong, null, outcome, CancellationToken.None));
            Assert.Equal(ErrorIds.StoreWriteFailed, ex.ErrorId);
            Assert.Contains("No space left", ex.Message);
            Assert.True(outcome.Bytes <= 1_000_000);
        }

        [Fact]
        public async Task StopsAtTheLimitWithoutWritingPastIt()
        {
            var data = Data(2_000_000);
            var output = new MemoryStream();
            using var hasher = DigestHasher.Create();
            var outcome = new HashingCopier.Outcome();
            var ex = await Assert.ThrowsAsync<KapsuleException>(() =>
                HashingCopier.CopyAsync(new ChoppyStream(data), output, hasher, 100, 1_000_100, TooLong, null, outcome, CancellationToken.None));
            Assert.Equal("too long", ex.Message);
            Assert.True(output.Length <= 1_000_000);
            Assert.Equal(output.Length, outcome.Bytes);
        }

        [Fact]
        public async Task ReportsProgressFromTheStartOffset()
        {
            var data = Data(1_500_000);
            long last = 0;
            using var hasher = DigestHasher.Create();
            await HashingCopier.CopyAsync(new ChoppyStream(data), new MemoryStream(), hasher, 1000, -1, TooLong,
                new SyncProgress(v => last = Math.Max(last, v)), new HashingCopier.Outcome(), CancellationToken.None);
            Assert.Equal(1000 + data.Length, last);
        }

        private sealed class SyncProgress : IProgress<long>
        {
            private readonly Action<long> _a;
            public SyncProgress(Action<long> a) => _a = a;
            public void Report(long value) => _a(value);
        }
    }
}
