using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Kapsule.Oci;

namespace Kapsule.Content
{
    /// <summary>
    /// A blob being downloaded, kept in the store's partial folder so that an interrupted transfer
    /// continues where it stopped. The bytes already on disk are hashed once when the partial file is
    /// opened; new bytes are hashed as they are appended, so each byte is read from disk at most once.
    /// The file is held with an exclusive share mode, so two pulls of the same blob never interleave.
    /// </summary>
    public sealed class PartialBlob : IDisposable
    {
        private const int BufferSize = 1 << 20;
        private readonly OciLayoutStore _store;
        private readonly string _path;
        private FileStream? _file;
        private DigestHasher? _hasher;

        private PartialBlob(OciLayoutStore store, string path, Digest digest, long expectedSize)
        {
            _store = store;
            _path = path;
            Digest = digest;
            ExpectedSize = expectedSize;
        }

        public Digest Digest { get; }
        public long ExpectedSize { get; }
        /// <summary>Bytes on disk so far: the offset to ask the next Range request from.</summary>
        public long Length { get; private set; }
        public bool IsComplete => ExpectedSize >= 0 && Length == ExpectedSize;

        internal static PartialBlob Open(OciLayoutStore store, string path, Digest digest, long expectedSize)
        {
            var p = new PartialBlob(store, path, digest, expectedSize);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            try
            {
                p._file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
            }
            catch (IOException e)
            {
                throw new KapsuleException(ErrorIds.StoreLocked, KapsuleErrorKind.ResourceUnavailable,
                    $"Blob {digest} is being downloaded by another Kapsule process; wait for it to finish.", e) { Target = digest.ToString() };
            }
            p._hasher = DigestHasher.Create(digest.Algorithm);
            if (expectedSize >= 0 && p._file.Length > expectedSize) p._file.SetLength(0);
            p.HashExisting();
            return p;
        }

        private void HashExisting()
        {
            var file = _file!;
            file.Position = 0;
            var buffer = new byte[BufferSize];
            int n;
            while ((n = file.Read(buffer, 0, buffer.Length)) > 0) _hasher!.Append(buffer, 0, n);
            Length = file.Length;
        }

        /// <summary>Discards what is on disk (when a server ignores a Range request and sends it all).</summary>
        public void Reset()
        {
            var file = _file ?? throw new ObjectDisposedException(nameof(PartialBlob));
            file.SetLength(0);
            file.Position = 0;
            _hasher!.Dispose();
            _hasher = DigestHasher.Create(Digest.Algorithm);
            Length = 0;
        }

        /// <summary>Appends the stream's bytes; progress reports the total length so far.</summary>
        public async Task AppendAsync(Stream source, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
        {
            var file = _file ?? throw new ObjectDisposedException(nameof(PartialBlob));
            file.Position = Length;
            var copied = new HashingCopier.Outcome();
            try
            {
                await HashingCopier.CopyAsync(source, file, _hasher!, Length, ExpectedSize,
                    () => new KapsuleException(ErrorIds.SizeMismatch, KapsuleErrorKind.InvalidData,
                        $"Blob {Digest} is longer than the {ExpectedSize} bytes its descriptor declares; it was refused.") { Target = Digest.ToString() },
                    progress, copied, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                // What was written stays and the next attempt resumes from here. If a failed write left the hash
                // ahead of the file, the file is the truth: trim it and hash it again.
                Length += copied.Bytes;
                file.Flush();
                if (copied.Hashed != copied.Bytes)
                {
                    file.SetLength(Length);
                    _hasher!.Dispose();
                    _hasher = DigestHasher.Create(Digest.Algorithm);
                    HashExisting();
                }
            }
        }

        /// <summary>Checks size and digest, then moves the blob into the store. A bad blob is deleted.</summary>
        public Descriptor Commit(string mediaType)
        {
            var file = _file ?? throw new ObjectDisposedException(nameof(PartialBlob));
            file.Flush(true);
            var actual = _hasher!.Finish();
            var length = Length;
            file.Dispose();
            _file = null;
            if ((ExpectedSize >= 0 && length != ExpectedSize) || actual != Digest)
            {
                OciLayoutStore.TryDelete(_path);
                if (ExpectedSize >= 0 && length != ExpectedSize)
                    throw new KapsuleException(ErrorIds.SizeMismatch, KapsuleErrorKind.InvalidData,
                        $"Blob {Digest} ended after {length} bytes, but its descriptor declares {ExpectedSize}; it was refused.") { Target = Digest.ToString() };
                throw OciLayoutStore.Mismatch(Digest, actual, "downloaded");
            }
            _store.Publish(_path, Digest);
            OciLayoutStore.TryDelete(_path);
            return new Descriptor(mediaType, Digest, length);
        }

        /// <summary>Deletes what was downloaded (the source proved to be wrong about this blob).</summary>
        public void Discard()
        {
            Dispose();
            OciLayoutStore.TryDelete(_path);
        }

        public void Dispose()
        {
            _file?.Dispose();
            _file = null;
            _hasher?.Dispose();
            _hasher = null;
        }
    }
}
