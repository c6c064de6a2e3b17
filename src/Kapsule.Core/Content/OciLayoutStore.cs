using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Kapsule.Oci;

namespace Kapsule.Content
{
    /// <summary>
    /// The local store: an OCI image layout folder (oci-layout, index.json, blobs/&lt;alg&gt;/&lt;hex&gt;) that
    /// skopeo and other OCI tools can read as it is. Images are named in index.json by the
    /// org.opencontainers.image.ref.name annotation, set to the full reference.
    ///
    /// Rules that keep it consistent under crashes and concurrent processes:
    /// - a blob is written to a temp file inside the store, hashed while written, and renamed to its
    ///   digest path only when digest and size match, so a visible blob is always a verified one;
    /// - index.json is rewritten to a temp file and renamed over the old one while holding an exclusive
    ///   lock, so readers see the old or the new index, never half of one, and no update is lost;
    /// - writers hold a shared "write lease" from their first blob until they tag the image; garbage
    ///   collection takes the lease exclusively, so it never deletes blobs of an image still being written;
    /// - partial downloads live under .kapsule/partial and are resumed from where they stopped.
    /// Kapsule's own bookkeeping lives under .kapsule/, which OCI readers ignore.
    /// </summary>
    public sealed class OciLayoutStore
    {
        private const int CopyBufferSize = 1 << 20;
        public static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(60);

        public OciLayoutStore(string root, bool create = true)
        {
            if (string.IsNullOrWhiteSpace(root))
                throw new KapsuleException("KapsuleStorePathInvalid", KapsuleErrorKind.InvalidArgument, "The store path is empty.");
            Root = Path.GetFullPath(root);
            if (create) EnsureLayout();
            else if (!File.Exists(Path.Combine(Root, "oci-layout")))
                throw new KapsuleException("KapsuleStoreNotFound", KapsuleErrorKind.ObjectNotFound,
                    $"'{Root}' is not an OCI image layout folder (it has no oci-layout file).") { Target = Root };
        }

        public string Root { get; }
        private string IndexPath => Path.Combine(Root, "index.json");
        private string StateDir => Path.Combine(Root, ".kapsule");
        private string TempDir => Path.Combine(StateDir, "tmp");
        private string PartialDir => Path.Combine(StateDir, "partial");
        private string IndexLockPath => Path.Combine(StateDir, "index.lock");
        private string LeaseLockPath => Path.Combine(StateDir, "gc.lock");

        /// <summary>
        /// Where the store lives when no path is given: $KAPSULE_STORE, else the user's data folder
        /// (~/.local/share/kapsule/store, or $XDG_DATA_HOME; %LOCALAPPDATA%\kapsule\store on Windows).
        /// </summary>
        public static string DefaultRoot()
        {
            var env = Environment.GetEnvironmentVariable("KAPSULE_STORE");
            if (!string.IsNullOrWhiteSpace(env)) return Path.GetFullPath(env);
            string baseDir;
            if (Path.DirectorySeparatorChar == '\\')
            {
                baseDir = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData);
            }
            else
            {
                var xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
                baseDir = !string.IsNullOrWhiteSpace(xdg) && Path.IsPathRooted(xdg)
                    ? xdg!
                    : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
            }
            return Path.Combine(baseDir, "kapsule", "store");
        }

        private void EnsureLayout()
        {
            Directory.CreateDirectory(Path.Combine(Root, "blobs", Digest.Sha256));
            Directory.CreateDirectory(TempDir);
            Directory.CreateDirectory(PartialDir);
            var layout = Path.Combine(Root, "oci-layout");
            if (!File.Exists(layout) || !File.Exists(IndexPath))
            {
                // Two commands creating the same store at once: one writes, the other finds the files there.
                using var _ = FileLock.Acquire(IndexLockPath, true, LockTimeout, CancellationToken.None);
                if (!File.Exists(layout)) WriteAtomically(layout, Encoding.UTF8.GetBytes("{\"imageLayoutVersion\":\"1.0.0\"}"));
                if (!File.Exists(IndexPath)) WriteAtomically(IndexPath, new ImageIndex().ToBytes());
            }
        }

        // ---------------------------------------------------------------- blobs

        /// <summary>Path of a blob. The digest was validated on parse, so it cannot leave the store.</summary>
        public string BlobPath(Digest digest)
        {
            if (digest.IsEmpty) throw new ArgumentException("empty digest", nameof(digest));
            return Path.Combine(Root, "blobs", digest.Algorithm, digest.Hex);
        }

        public bool HasBlob(Digest digest) => File.Exists(BlobPath(digest));

        /// <summary>Size of a stored blob, or -1 when it is absent.</summary>
        public long BlobSize(Digest digest)
        {
            var fi = new FileInfo(BlobPath(digest));
            return fi.Exists ? fi.Length : -1;
        }

        public Stream OpenBlob(Digest digest)
        {
            try
            {
                return new FileStream(BlobPath(digest), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete,
                    CopyBufferSize, FileOptions.SequentialScan | FileOptions.Asynchronous);
            }
            catch (Exception e) when (e is FileNotFoundException || e is DirectoryNotFoundException)
            {
                throw BlobMissing(digest, e);
            }
        }

        /// <summary>Reads a small blob (manifest, config) whole and checks it against its digest.</summary>
        public byte[] ReadBlobBytes(Digest digest, long maxBytes = Manifest.MaxBytes)
        {
            var size = BlobSize(digest);
            if (size < 0) throw BlobMissing(digest, null);
            if (size > maxBytes)
                throw new KapsuleException(ErrorIds.SizeMismatch, KapsuleErrorKind.InvalidData,
                    $"Blob {digest} is {size} bytes, more than the {maxBytes} bytes allowed for it.") { Target = digest.ToString() };
            var bytes = File.ReadAllBytes(BlobPath(digest));
            var actual = Digest.Compute(bytes, digest.Algorithm);
            if (actual != digest) throw Mismatch(digest, actual, "in the store");
            return bytes;
        }

        public Manifest ReadManifest(Descriptor descriptor)
        {
            var bytes = ReadBlobBytes(descriptor.Digest);
            return Manifest.Parse(bytes, descriptor.MediaType);
        }

        /// <summary>
        /// Writes a blob from a stream in one pass: hash while copying into a temp file, then verify and
        /// rename into place. If <paramref name="expectedDigest"/> is given and the blob is already
        /// present, the stream is not read at all. More bytes than <paramref name="expectedSize"/> stop the
        /// copy at once (a hostile or broken source cannot fill the disk).
        /// </summary>
        public async Task<Descriptor> WriteBlobAsync(Stream source, string mediaType, Digest? expectedDigest = null,
            long expectedSize = -1, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
        {
            if (expectedDigest is Digest known && HasBlob(known))
            {
                var have = BlobSize(known);
                if (expectedSize < 0 || have == expectedSize) return new Descriptor(mediaType, known, have);
            }
            string algorithm = expectedDigest?.Algorithm ?? Digest.Sha256;
            string temp = NewTempPath();
            try
            {
                Digest actual;
                var copied = new HashingCopier.Outcome();
                using (var hasher = DigestHasher.Create(algorithm))
                using (var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.None))
                {
                    await HashingCopier.CopyAsync(source, output, hasher, 0, expectedSize,
                        () => new KapsuleException(ErrorIds.SizeMismatch, KapsuleErrorKind.InvalidData,
                            $"Blob {expectedDigest} is longer than the {expectedSize} bytes its descriptor declares; it was refused.")
                        { Target = expectedDigest?.ToString() },
                        progress, copied, cancellationToken).ConfigureAwait(false);
                    output.Flush(true);
                    actual = hasher.Finish();
                }
                long written = copied.Bytes;
                if (expectedSize >= 0 && written != expectedSize)
                    throw new KapsuleException(ErrorIds.SizeMismatch, KapsuleErrorKind.InvalidData,
                        $"Blob {expectedDigest?.ToString() ?? actual.ToString()} has {written} bytes, but its descriptor declares {expectedSize}; it was refused.")
                    { Target = (expectedDigest ?? actual).ToString() };
                if (expectedDigest is Digest exp && exp != actual) throw Mismatch(exp, actual, "received");
                Publish(temp, actual);
                return new Descriptor(mediaType, actual, written);
            }
            finally
            {
                TryDelete(temp);
            }
        }

        public Task<Descriptor> WriteBlobAsync(byte[] data, string mediaType, CancellationToken cancellationToken = default)
            => WriteBlobAsync(new MemoryStream(data, false), mediaType, null, data.Length, null, cancellationToken);

        /// <summary>Copies a file into the store (hash and copy in the same pass).</summary>
        public async Task<Descriptor> AddFileAsync(string path, string mediaType, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
        {
            using var input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, CopyBufferSize, FileOptions.SequentialScan | FileOptions.Asynchronous);
            return await WriteBlobAsync(input, mediaType, null, input.Length, progress, cancellationToken).ConfigureAwait(false);
        }

        public async Task<Descriptor> WriteManifestAsync(Manifest manifest, CancellationToken cancellationToken = default)
        {
            var bytes = manifest.GetBytes();
            var d = await WriteBlobAsync(bytes, manifest.MediaType, cancellationToken).ConfigureAwait(false);
            d.ArtifactType = manifest.IsDocker ? null : manifest.ArtifactType;
            return d;
        }

        /// <summary>
        /// A resumable download of one blob. The partial file survives a crash or Ctrl+C; opening it again
        /// continues from <see cref="PartialBlob.Length"/> (what a Range request asks for next).
        /// </summary>
        public PartialBlob OpenPartial(Digest digest, long expectedSize)
        {
            var path = Path.Combine(PartialDir, digest.Algorithm + "-" + digest.Hex);
            return PartialBlob.Open(this, path, digest, expectedSize);
        }

        internal void Publish(string temp, Digest digest)
        {
            var dest = BlobPath(digest);
            Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
            var existing = new FileInfo(dest);
            if (existing.Exists)
            {
                // Same digest, same size: the same bytes, already there. A different size means the file on disk is
                // damaged; the verified copy replaces it.
                if (existing.Length == new FileInfo(temp).Length) return;
                File.Replace(temp, dest, null);
                return;
            }
            try
            {
                File.Move(temp, dest);
            }
            catch (IOException) when (File.Exists(dest))
            {
                // another writer published the same blob first
            }
        }

        /// <summary>
        /// Moves a blob that failed verification out of blobs/ (to .kapsule/corrupt/), so the next pull or build
        /// fetches it again instead of trusting it. Returns where it went, or null when it was not there.
        /// </summary>
        public string? Quarantine(Digest digest)
        {
            var path = BlobPath(digest);
            if (!File.Exists(path)) return null;
            var dir = Path.Combine(StateDir, "corrupt");
            Directory.CreateDirectory(dir);
            var target = Path.Combine(dir, $"{digest.Algorithm}-{digest.Hex}-{DateTime.UtcNow:yyyyMMddHHmmss}");
            File.Move(path, target);
            return target;
        }

        internal string NewTempPath()
        {
            Directory.CreateDirectory(TempDir);
            return Path.Combine(TempDir, Guid.NewGuid().ToString("N") + ".tmp");
        }

        // ---------------------------------------------------------------- index

        /// <summary>The entries of index.json, as they are now.</summary>
        public IReadOnlyList<Descriptor> ReadIndex() => LoadIndex().Manifests;

        private ImageIndex LoadIndex()
        {
            byte[] bytes;
            try
            {
                bytes = ReadShared(IndexPath);
            }
            catch (FileNotFoundException)
            {
                return new ImageIndex();
            }
            try
            {
                return ImageIndex.Parse(bytes);
            }
            catch (KapsuleException e)
            {
                throw new KapsuleException(ErrorIds.StoreCorrupt, KapsuleErrorKind.InvalidData,
                    $"The store's index.json at '{IndexPath}' cannot be read: {e.Message}", e) { Target = IndexPath };
            }
        }

        /// <summary>The image named <paramref name="refName"/>, or null.</summary>
        public Descriptor? Resolve(string refName)
            => ReadIndex().LastOrDefault(d => d.GetAnnotation(Annotations.RefName) == refName);

        /// <summary>
        /// Names <paramref name="manifest"/> <paramref name="refName"/> in index.json, replacing any image
        /// of that name. The manifest blob must already be in the store.
        /// </summary>
        public void Tag(string refName, Descriptor manifest, CancellationToken cancellationToken = default)
        {
            if (!HasBlob(manifest.Digest)) throw BlobMissing(manifest.Digest, null);
            UpdateIndex(index =>
            {
                index.Manifests.RemoveAll(d => d.GetAnnotation(Annotations.RefName) == refName);
                var entry = manifest.Clone();
                entry.SetAnnotation(Annotations.RefName, refName);
                index.Manifests.Add(entry);
                return true;
            }, cancellationToken);
        }

        /// <summary>Removes the name; returns false when no image had it. Blobs stay until <see cref="CollectGarbage"/>.</summary>
        public bool Untag(string refName, CancellationToken cancellationToken = default)
        {
            bool removed = false;
            UpdateIndex(index =>
            {
                removed = index.Manifests.RemoveAll(d => d.GetAnnotation(Annotations.RefName) == refName) > 0;
                return removed;
            }, cancellationToken);
            return removed;
        }

        private void UpdateIndex(Func<ImageIndex, bool> change, CancellationToken cancellationToken)
        {
            using var _ = FileLock.Acquire(IndexLockPath, true, LockTimeout, cancellationToken);
            var index = LoadIndex();
            if (!change(index)) return;
            WriteAtomically(IndexPath, index.ToBytes());
        }

        // ---------------------------------------------------------------- leases and garbage collection

        /// <summary>
        /// Taken by anything that writes blobs and then tags them, for the whole operation. Garbage
        /// collection waits for all leases to end, so it cannot delete blobs that are not yet referenced.
        /// </summary>
        public IDisposable AcquireWriteLease(CancellationToken cancellationToken = default)
            => FileLock.Acquire(LeaseLockPath, false, LockTimeout, cancellationToken);

        /// <summary>
        /// Deletes every blob no image in index.json reaches (manifests, their configs, layers and
        /// subjects, index children), and leftover temp files of interrupted writes. Partial downloads are
        /// kept unless <paramref name="includePartials"/>.
        /// </summary>
        public GarbageReport CollectGarbage(bool includePartials = false, CancellationToken cancellationToken = default, TimeSpan? lockTimeout = null)
        {
            var timeout = lockTimeout ?? LockTimeout;
            using var lease = FileLock.Acquire(LeaseLockPath, true, timeout, cancellationToken);
            using var indexLock = FileLock.Acquire(IndexLockPath, true, timeout, cancellationToken);
            var reachable = new HashSet<Digest>();
            foreach (var entry in LoadIndex().Manifests) Mark(entry, reachable);

            var report = new GarbageReport();
            var blobsRoot = Path.Combine(Root, "blobs");
            foreach (var algDir in Directory.EnumerateDirectories(blobsRoot))
            {
                var alg = Path.GetFileName(algDir);
                foreach (var file in Directory.EnumerateFiles(algDir))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (Digest.TryParse(alg + ":" + Path.GetFileName(file), out var d) && reachable.Contains(d)) continue;
                    var size = new FileInfo(file).Length;
                    if (TryDelete(file)) { report.BlobsRemoved++; report.BytesFreed += size; }
                }
            }
            foreach (var temp in Directory.EnumerateFiles(TempDir))
            {
                if (TryDelete(temp)) report.TempFilesRemoved++;
            }
            if (includePartials)
            {
                foreach (var p in Directory.EnumerateFiles(PartialDir))
                {
                    if (TryDelete(p)) report.TempFilesRemoved++;
                }
            }
            return report;
        }

        /// <summary>
        /// Marks a node and all it references. Manifests and indexes are read by their structure; any other JSON
        /// document (an artifact manifest of another tool, a manifest this version cannot parse) keeps every
        /// digest it mentions, so garbage collection never deletes what another tool's image needs.
        /// </summary>
        private void Mark(Descriptor d, HashSet<Digest> reachable)
        {
            if (!reachable.Add(d.Digest) || !HasBlob(d.Digest) || BlobSize(d.Digest) > Manifest.MaxBytes) return;
            try
            {
                if (MediaTypes.IsManifest(d.MediaType))
                {
                    var m = ReadManifest(d);
                    reachable.Add(m.Config.Digest);
                    foreach (var l in m.Layers) reachable.Add(l.Digest);
                    if (m.Subject != null) Mark(m.Subject, reachable);
                    return;
                }
                if (MediaTypes.IsIndex(d.MediaType))
                {
                    var idx = ImageIndex.Parse(ReadBlobBytes(d.Digest));
                    foreach (var child in idx.Manifests) Mark(child, reachable);
                    if (idx.Subject != null) Mark(idx.Subject, reachable);
                    return;
                }
            }
            catch (KapsuleException)
            {
                // fall through to the conservative scan
            }
            MarkMentioned(d.Digest, reachable);
        }

        private void MarkMentioned(Digest digest, HashSet<Digest> reachable)
        {
            byte[] bytes;
            try { bytes = File.ReadAllBytes(BlobPath(digest)); }
            catch (IOException) { return; }
            try
            {
                using var doc = System.Text.Json.JsonDocument.Parse(bytes);
                var pending = new Stack<System.Text.Json.JsonElement>();
                pending.Push(doc.RootElement.Clone());
                while (pending.Count > 0)
                {
                    var e = pending.Pop();
                    if (e.ValueKind == System.Text.Json.JsonValueKind.Object)
                    {
                        foreach (var p in e.EnumerateObject()) pending.Push(p.Value);
                    }
                    else if (e.ValueKind == System.Text.Json.JsonValueKind.Array)
                    {
                        foreach (var item in e.EnumerateArray()) pending.Push(item);
                    }
                    else if (e.ValueKind == System.Text.Json.JsonValueKind.String && Digest.TryParse(e.GetString(), out var mentioned)
                             && !reachable.Contains(mentioned))
                    {
                        // A mentioned document may itself reference more: follow it the same way.
                        if (HasBlob(mentioned)) Mark(new Descriptor("application/octet-stream", mentioned, 0), reachable);
                        else reachable.Add(mentioned);
                    }
                }
            }
            catch (System.Text.Json.JsonException)
            {
                // not JSON: it references nothing
            }
        }

        // ---------------------------------------------------------------- helpers

        /// <summary>Writes a file through a temp file in the store and renames it over the target.</summary>
        private void WriteAtomically(string path, byte[] bytes)
        {
            var temp = NewTempPath();
            try
            {
                using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                {
                    fs.Write(bytes, 0, bytes.Length);
                    fs.Flush(true);
                }
                if (File.Exists(path)) File.Replace(temp, path, null);
                else File.Move(temp, path);
            }
            finally
            {
                TryDelete(temp);
            }
        }

        private static byte[] ReadShared(string path)
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var ms = new MemoryStream();
            fs.CopyTo(ms);
            return ms.ToArray();
        }

        internal static bool TryDelete(string path)
        {
            try
            {
                if (!File.Exists(path)) return false;
                File.Delete(path);
                return true;
            }
            catch (IOException) { return false; }
            catch (UnauthorizedAccessException) { return false; }
        }

        internal static KapsuleException Mismatch(Digest expected, Digest actual, string where)
            => new KapsuleException(ErrorIds.DigestMismatch, KapsuleErrorKind.InvalidData,
                $"Content {where} does not match its digest: expected {expected}, got {actual}. The blob was refused.")
            { Target = expected.ToString() };

        private KapsuleException BlobMissing(Digest digest, Exception? inner)
            => new KapsuleException(ErrorIds.BlobNotFound, KapsuleErrorKind.ObjectNotFound,
                $"Blob {digest} is not in the store at '{Root}'.", inner) { Target = digest.ToString() };
    }

    public sealed class GarbageReport
    {
        public int BlobsRemoved { get; set; }
        public long BytesFreed { get; set; }
        public int TempFilesRemoved { get; set; }
    }
}
