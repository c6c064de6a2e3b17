using System;
using System.IO;
using System.Runtime.InteropServices;

namespace Kapsule.Content
{
    /// <summary>
    /// Asks Linux to start writing a file's new pages to disk while the download goes on
    /// (sync_file_range with SYNC_FILE_RANGE_WRITE: asynchronous, does not wait), so the fsync that makes a
    /// blob durable before it is renamed into place finds little left to do. Elsewhere, or where the call is
    /// not available, it does nothing and the final fsync does all the work, as before.
    /// </summary>
    internal static class Writeback
    {
        private const uint SyncFileRangeWrite = 2;
        private static bool _unavailable = !RuntimeInformation.IsOSPlatform(OSPlatform.Linux);

        [DllImport("libc", EntryPoint = "sync_file_range", SetLastError = true)]
        private static extern int SyncFileRange(int fd, long offset, long nbytes, uint flags);

        public static void Start(FileStream file, long offset, long count)
        {
            if (_unavailable || count <= 0) return;
            try
            {
                bool added = false;
                var handle = file.SafeFileHandle;
                handle.DangerousAddRef(ref added);
                try
                {
                    SyncFileRange(handle.DangerousGetHandle().ToInt32(), offset, count, SyncFileRangeWrite);
                }
                finally
                {
                    if (added) handle.DangerousRelease();
                }
            }
            catch (Exception e) when (e is EntryPointNotFoundException || e is DllNotFoundException)
            {
                _unavailable = true;
            }
        }
    }
}
