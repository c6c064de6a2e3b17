using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;

namespace Kapsule.PowerShell
{
    /// <summary>
    /// Base of every Kapsule cmdlet. Core work is async and runs on the thread pool; everything that
    /// touches the pipeline (Write*, progress, errors) is queued back to the pipeline thread and run by
    /// <see cref="RunAsync"/>, which pumps that queue until the work ends. StopProcessing (Ctrl+C)
    /// cancels the token handed to the core, so transfers stop promptly and clean up.
    /// </summary>
    public abstract class KapsuleCmdlet : PSCmdlet, IDisposable
    {
        private readonly CancellationTokenSource _cancel = new CancellationTokenSource();
        private BlockingCollection<Action>? _pump;
        private int _pipelineThreadId;
        private bool _disposed;

        protected CancellationToken CancellationToken => _cancel.Token;

        protected override void StopProcessing() => _cancel.Cancel();

        /// <summary>Runs async core work while pumping pipeline calls on this (the pipeline) thread.</summary>
        protected void RunAsync(Func<CancellationToken, Task> work)
        {
            using var pump = new BlockingCollection<Action>();
            _pump = pump;
            _pipelineThreadId = Environment.CurrentManagedThreadId;
            var task = Task.Run(async () =>
            {
                try { await work(_cancel.Token).ConfigureAwait(false); }
                finally { pump.CompleteAdding(); }
            });
            try
            {
                foreach (var action in pump.GetConsumingEnumerable())
                {
                    action();
                }
            }
            catch
            {
                // A pipeline call failed (Ctrl+C makes Write* throw PipelineStoppedException, or a preference set
                // to Stop): stop the work, let it finish cleaning up (partial files, locks) while discarding what it
                // still posts, and only then let the failure go on.
                _cancel.Cancel();
                foreach (var _ in pump.GetConsumingEnumerable()) { }
                try { task.GetAwaiter().GetResult(); }
                catch (Exception) { /* the pipeline failure is the one to report */ }
                throw;
            }
            finally
            {
                _pump = null;
            }

            try
            {
                task.GetAwaiter().GetResult();
            }
            catch (OperationCanceledException) when (_cancel.IsCancellationRequested)
            {
                throw new PipelineStoppedException();
            }
        }

        /// <summary>Runs <paramref name="action"/> on the pipeline thread (directly when already on it).</summary>
        protected void Post(Action action)
        {
            var pump = _pump;
            if (pump is null || Environment.CurrentManagedThreadId == _pipelineThreadId)
            {
                action();
                return;
            }
            try
            {
                pump.Add(action);
            }
            catch (InvalidOperationException)
            {
                // The pump has completed: the work is over and nothing may write any more.
            }
        }

        protected void PostVerbose(string message) => Post(() => WriteVerbose(message));

        /// <summary>Turns any failure into an ErrorRecord with a specific ErrorId and category.</summary>
        protected static ErrorRecord ToErrorRecord(Exception exception, object? target = null)
        {
            if (exception is AggregateException agg && agg.InnerExceptions.Count == 1)
            {
                exception = agg.InnerExceptions[0];
            }
            if (exception is KapsuleException k)
            {
                return new ErrorRecord(k, k.ErrorId, MapCategory(k.Kind), k.Target ?? target);
            }
            if (exception is UnauthorizedAccessException)
            {
                return new ErrorRecord(exception, "KapsuleAccessDenied", ErrorCategory.PermissionDenied, target);
            }
            if (exception is System.IO.IOException)
            {
                return new ErrorRecord(exception, "KapsuleIOError", ErrorCategory.WriteError, target);
            }
            return new ErrorRecord(exception, "KapsuleUnexpectedError", ErrorCategory.NotSpecified, target);
        }

        internal static ErrorCategory MapCategory(KapsuleErrorKind kind) => kind switch
        {
            KapsuleErrorKind.InvalidArgument => ErrorCategory.InvalidArgument,
            KapsuleErrorKind.InvalidData => ErrorCategory.InvalidData,
            KapsuleErrorKind.ObjectNotFound => ErrorCategory.ObjectNotFound,
            KapsuleErrorKind.ResourceExists => ErrorCategory.ResourceExists,
            KapsuleErrorKind.PermissionDenied => ErrorCategory.PermissionDenied,
            KapsuleErrorKind.AuthenticationError => ErrorCategory.AuthenticationError,
            KapsuleErrorKind.ConnectionError => ErrorCategory.ConnectionError,
            KapsuleErrorKind.ProtocolError => ErrorCategory.ProtocolError,
            KapsuleErrorKind.SecurityError => ErrorCategory.SecurityError,
            KapsuleErrorKind.OperationStopped => ErrorCategory.OperationStopped,
            KapsuleErrorKind.ResourceUnavailable => ErrorCategory.ResourceUnavailable,
            KapsuleErrorKind.NotImplemented => ErrorCategory.NotImplemented,
            _ => ErrorCategory.NotSpecified,
        };

        /// <summary>
        /// Progress for one transfer: bytes done out of a total, with the rate, written at most five times a
        /// second from whatever thread reports, and a Completed record at the end.
        /// </summary>
        protected ByteProgress NewProgress(string activity, string item, long totalBytes, int activityId = 1, int parentId = -1)
            => new ByteProgress(this, activity, item, totalBytes, activityId, parentId);

        public sealed class ByteProgress : IProgress<long>
        {
            private static readonly long ThrottleTicks = Stopwatch.Frequency / 5;
            private readonly KapsuleCmdlet _owner;
            private readonly ProgressRecord _record;
            private readonly long _total;
            private readonly Stopwatch _clock = Stopwatch.StartNew();
            private long _lastTick = long.MinValue;
            private long _done;

            internal ByteProgress(KapsuleCmdlet owner, string activity, string item, long total, int id, int parentId)
            {
                _owner = owner;
                _total = total;
                _record = new ProgressRecord(id, activity, item) { ParentActivityId = parentId };
            }

            /// <summary>Reports the number of bytes done so far (absolute, not a delta).</summary>
            public void Report(long bytesDone)
            {
                Interlocked.Exchange(ref _done, bytesDone);
                long now = _clock.ElapsedTicks;
                long last = Interlocked.Read(ref _lastTick);
                if (last != long.MinValue && now - last < ThrottleTicks) return;
                if (Interlocked.CompareExchange(ref _lastTick, now, last) != last) return;
                var seconds = Math.Max(_clock.Elapsed.TotalSeconds, 0.001);
                double rate = bytesDone / seconds;
                var status = _total > 0
                    ? $"{FormatBytes(bytesDone)} of {FormatBytes(_total)} at {FormatBytes((long)rate)}/s"
                    : $"{FormatBytes(bytesDone)} at {FormatBytes((long)rate)}/s";
                int percent = _total > 0 ? (int)Math.Min(100, bytesDone * 100 / _total) : -1;
                long remaining = _total > 0 && rate > 0 ? (long)((_total - bytesDone) / rate) : -1;
                _owner.Post(() =>
                {
                    _record.StatusDescription = status;
                    _record.PercentComplete = percent;
                    _record.SecondsRemaining = (int)Math.Min(int.MaxValue, remaining);
                    _owner.WriteProgress(_record);
                });
            }

            public void Complete()
            {
                _owner.Post(() =>
                {
                    _record.RecordType = ProgressRecordType.Completed;
                    _owner.WriteProgress(_record);
                });
            }
        }

        internal static string FormatBytes(long bytes)
        {
            string[] units = { "B", "KiB", "MiB", "GiB", "TiB" };
            double v = bytes;
            int u = 0;
            while (v >= 1024 && u < units.Length - 1) { v /= 1024; u++; }
            return u == 0 ? $"{bytes} B" : $"{v:0.0} {units[u]}";
        }

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            _cancel.Dispose();
            GC.SuppressFinalize(this);
        }
    }
}
