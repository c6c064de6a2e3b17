using System;
using System.IO;
using System.Threading;

namespace Kapsule.Content
{
    /// <summary>
    /// A cross-process lock on a file, through the OS's own file sharing: FileShare.None is an exclusive
    /// lock (flock LOCK_EX on Unix, a share-deny on Windows); read access with FileShare.ReadWrite is a
    /// shared lock (LOCK_SH). The OS drops the lock when the process dies, so a crash never wedges the store.
    /// </summary>
    internal sealed class FileLock : IDisposable
    {
        private FileStream? _stream;

        private FileLock(FileStream stream) => _stream = stream;

        public static FileLock Acquire(string path, bool exclusive, TimeSpan timeout, CancellationToken cancellationToken)
        {
            var deadline = DateTime.UtcNow + timeout;
            int delay = 5;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                try
                {
                    var fs = exclusive
                        ? new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None)
                        : new FileStream(path, FileMode.OpenOrCreate, FileAccess.Read, FileShare.ReadWrite);
                    return new FileLock(fs);
                }
                catch (IOException) when (DateTime.UtcNow < deadline)
                {
                    // Held by another writer: wait a little, growing to at most 100 ms between tries.
                }
                catch (IOException e)
                {
                    throw new KapsuleException(ErrorIds.StoreLocked, KapsuleErrorKind.ResourceUnavailable,
                        $"The store lock '{path}' is still held by another process after {timeout.TotalSeconds:0} s. " +
                        "Wait for the other Kapsule command to finish, then try again.", e) { Target = path };
                }
                if (cancellationToken.WaitHandle.WaitOne(delay)) cancellationToken.ThrowIfCancellationRequested();
                delay = Math.Min(delay * 2, 100);
            }
        }

        public void Dispose()
        {
            _stream?.Dispose();
            _stream = null;
        }
    }
}
