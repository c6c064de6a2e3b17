using System;
using System.Collections.Concurrent;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Kapsule.Oci;

namespace Kapsule.Content
{
    /// <summary>
    /// Copies a stream to a file while hashing it, with the three jobs on different threads: the caller's
    /// thread reads the source (a socket, a file) into a small ring of buffers, one worker hashes each buffer
    /// and another writes it. Each byte is read once; memory is the ring (a few MiB) whatever the size.
    /// When the copy stops for any reason, every buffer already read is handed to both workers before this
    /// returns or throws; <see cref="Outcome"/> says how many bytes were written and how many hashed, which
    /// differ only after a failed write (the caller then re-hashes what is on disk).
    /// </summary>
    internal static class HashingCopier
    {
        private const int BufferSize = 512 * 1024;
        private const int Depth = 6;
        private const long WritebackEvery = 8L * 1024 * 1024;

        /// <summary>What was copied before the copy ended (normally or not).</summary>
        public sealed class Outcome
        {
            /// <summary>Bytes written to the destination.</summary>
            public long Bytes;
            /// <summary>Bytes fed to the hasher; differs from <see cref="Bytes"/> only after a failed write.</summary>
            public long Hashed;
        }

        /// <param name="limit">More bytes than this stop the copy with <paramref name="tooLong"/> (-1: no limit).</param>
        public static async Task CopyAsync(Stream source, Stream destination, DigestHasher hasher, long start, long limit,
            Func<KapsuleException> tooLong, IProgress<long>? progress, Outcome outcome, CancellationToken cancellationToken)
        {
            using var free = new SemaphoreSlim(Depth, Depth);
            var pool = new ConcurrentBag<byte[]>();
            var toHash = new BlockingCollection<Chunk>();
            var toWrite = new BlockingCollection<Chunk>();
            Exception? writeFailure = null;

            Exception? hashFailure = null;
            var hashing = Task.Factory.StartNew(() =>
            {
                foreach (var c in toHash.GetConsumingEnumerable())
                {
                    // Every chunk is released whatever happens, or the reader would wait for a free buffer forever.
                    try
                    {
                        if (hashFailure == null && writeFailure == null)
                        {
                            hasher.Append(c.Buffer, 0, c.Count);
                            Interlocked.Add(ref outcome.Hashed, c.Count);
                        }
                    }
                    catch (Exception e)
                    {
                        hashFailure = e;
                    }
                    finally
                    {
                        c.Release(pool, free);
                    }
                }
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

            var file = destination as FileStream;
            var writing = Task.Factory.StartNew(() =>
            {
                long position = file?.Position ?? 0, flushedTo = position;
                foreach (var c in toWrite.GetConsumingEnumerable())
                {
                    bool written = false;
                    try
                    {
                        if (writeFailure == null && hashFailure == null)
                        {
                            destination.Write(c.Buffer, 0, c.Count);
                            position += c.Count;
                            Interlocked.Add(ref outcome.Bytes, c.Count);
                            written = true;
                            if (file != null && position - flushedTo >= WritebackEvery)
                            {
                                Writeback.Start(file, flushedTo, position - flushedTo);
                                flushedTo = position;
                            }
                        }
                    }
                    catch (Exception e)
                    {
                        writeFailure = e;
                    }
                    finally
                    {
                        c.Release(pool, free);
                    }
                    if (written)
                    {
                        try { progress?.Report(start + Interlocked.Read(ref outcome.Bytes)); }
                        catch (Exception) { /* a failing progress display never stops a transfer */ }
                    }
                }
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

            long read = 0;
            try
            {
                while (true)
                {
                    await free.WaitAsync(cancellationToken).ConfigureAwait(false);
                    if (writeFailure != null || hashFailure != null) { free.Release(); break; }
                    if (!pool.TryTake(out var buffer)) buffer = new byte[BufferSize];
                    int filled = 0;
                    try
                    {
                        // Fill the buffer as far as the source gives without waiting: fewer, larger hand-offs.
                        int n;
                        do
                        {
                            n = await source.ReadAsync(buffer, filled, buffer.Length - filled, cancellationToken).ConfigureAwait(false);
                            filled += n;
                        }
                        while (n > 0 && filled < buffer.Length && filled < 64 * 1024);
                    }
                    catch
                    {
                        // What arrived before the failure is kept (within the limit): a resumed download goes on after it.
                        if (filled > 0 && (limit < 0 || start + read + filled <= limit)) Enqueue(buffer, filled, toHash, toWrite);
                        else { pool.Add(buffer); free.Release(); }
                        throw;
                    }
                    if (filled == 0)
                    {
                        pool.Add(buffer);
                        free.Release();
                        break;
                    }
                    if (limit >= 0 && start + read + filled > limit)
                    {
                        pool.Add(buffer);
                        free.Release();
                        throw tooLong();
                    }
                    read += filled;
                    Enqueue(buffer, filled, toHash, toWrite);
                }
            }
            catch (Exception) when (writeFailure != null || hashFailure != null)
            {
                // The store's failure is the one to report, not the read that happened to come after it.
            }
            finally
            {
                toHash.CompleteAdding();
                toWrite.CompleteAdding();
                await Task.WhenAll(hashing, writing).ConfigureAwait(false);
                toHash.Dispose();
                toWrite.Dispose();
            }
            if (hashFailure != null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(hashFailure).Throw();
            if (writeFailure != null)
            {
                throw new KapsuleException(ErrorIds.StoreWriteFailed, KapsuleErrorKind.ResourceUnavailable,
                    $"Writing to the store failed: {writeFailure.Message}. Free some space or check permissions, then run the command again; " +
                    "what was downloaded so far is kept.", writeFailure);
            }
            // A cancellation that came after the last read still wins: the caller asked to stop.
            cancellationToken.ThrowIfCancellationRequested();
        }

        private static void Enqueue(byte[] buffer, int count, BlockingCollection<Chunk> toHash, BlockingCollection<Chunk> toWrite)
        {
            var c = new Chunk(buffer, count);
            toHash.Add(c);
            toWrite.Add(c);
        }

        private sealed class Chunk
        {
            private int _pending = 2; // hashed and written

            public Chunk(byte[] buffer, int count)
            {
                Buffer = buffer;
                Count = count;
            }

            public byte[] Buffer { get; }
            public int Count { get; }

            public void Release(ConcurrentBag<byte[]> pool, SemaphoreSlim free)
            {
                if (Interlocked.Decrement(ref _pending) != 0) return;
                pool.Add(Buffer);
                free.Release();
            }
        }
    }
}
