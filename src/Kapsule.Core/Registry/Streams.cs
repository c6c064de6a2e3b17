using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace Kapsule.Registry
{
    /// <summary>What every forward-only, read-only wrapper stream here shares: no seeking, no writing, no length.</summary>
    internal abstract class ReadOnlyStream : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>Reports the absolute position (start + bytes read) as a body is sent.</summary>
    internal sealed class ProgressStream : ReadOnlyStream
    {
        private readonly Stream _inner;
        private readonly IProgress<long>? _progress;
        private long _position;

        public ProgressStream(Stream inner, IProgress<long>? progress, long start)
        {
            _inner = inner;
            _progress = progress;
            _position = start;
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = _inner.Read(buffer, offset, count);
            Advance(n);
            return n;
        }

        public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            int n = await _inner.ReadAsync(buffer, offset, count, cancellationToken).ConfigureAwait(false);
            Advance(n);
            return n;
        }

        /// <summary>Called on every read: the upload is alive (resets the idle timer of the request).</summary>
        public Action? Activity { get; set; }

        private void Advance(int n)
        {
            Activity?.Invoke();
            if (n <= 0) return;
            _position += n;
            _progress?.Report(_position);
        }

        public override long Length => _inner.Length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        protected override void Dispose(bool disposing)
        {
            if (disposing) _inner.Dispose();
            base.Dispose(disposing);
        }
    }

    /// <summary>At most <c>length</c> bytes of an inner stream (one chunk of a chunked upload).</summary>
    internal sealed class BoundedStream : ReadOnlyStream
    {
        private readonly Stream _inner;
        private long _remaining;

        public BoundedStream(Stream inner, long length)
        {
            _inner = inner;
            _remaining = length;
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_remaining <= 0) return 0;
            int n = _inner.Read(buffer, offset, (int)Math.Min(count, _remaining));
            _remaining -= n;
            return n;
        }

        public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            if (_remaining <= 0) return 0;
            int n = await _inner.ReadAsync(buffer, offset, (int)Math.Min(count, _remaining), cancellationToken).ConfigureAwait(false);
            _remaining -= n;
            return n;
        }


        protected override void Dispose(bool disposing)
        {
            if (disposing) _inner.Dispose();
            base.Dispose(disposing);
        }
    }

    /// <summary>
    /// A response body that fails with <see cref="TimeoutException"/> when no byte arrives for the idle time
    /// (a silently dead connection), so a download is resumed instead of hanging.
    /// </summary>
    internal sealed class IdleTimeoutStream : ReadOnlyStream
    {
        private readonly Stream _inner;
        private readonly TimeSpan _idle;
        private CancellationTokenSource? _timer;
        private CancellationToken _linkedTo;

        public IdleTimeoutStream(Stream inner, TimeSpan idle)
        {
            _inner = inner;
            _idle = idle;
        }

        public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            // One timer for the whole body, pushed back on every read (cheaper than a new one per read).
            if (_timer == null || _linkedTo != cancellationToken)
            {
                _timer?.Dispose();
                _timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                _linkedTo = cancellationToken;
            }
            _timer.CancelAfter(_idle);
            try
            {
                return await _inner.ReadAsync(buffer, offset, count, _timer.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"No data for {_idle.TotalSeconds:0} s.", e);
            }
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _inner.Dispose();
                _timer?.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
