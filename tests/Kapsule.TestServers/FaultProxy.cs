using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;

namespace Kapsule.TestServers;

/// <summary>
/// A loopback HTTP/1.1 proxy in front of a plain-http registry that injects faults deterministically.
/// Each downstream connection carries one request: the proxy sends "Connection: close" upstream and
/// downstream, so framing never depends on keep-alive.
/// Requests whose "METHOD target" matches --match (default: all) are numbered 1, 2, 3, ...:
///   number % fail-every == 0  -> 503 with Retry-After (request body drained first, unless Expect: 100-continue);
///   else number % drop-every == 0 -> forwarded, then the response is cut mid-body and the connection closed
///     (half the Content-Length, or a Random(seed) point in [1, length-1] when --seed is given;
///      a response without a body is dropped before its head).
/// Independently, the first --cut-count GETs of /v2/.../blobs/... (default 1) whose response is 200/206 with
/// more than --cut-after-bytes body bytes are cut after that many bytes.
/// --max-body N answers 413 to any request declaring a body over N bytes, without reading it, as a
/// reverse proxy with a body limit does (nginx's client_max_body_size). --rate limits response bodies.
/// GET /_proxy/stats returns counters and a request log as JSON (not counted, not forwarded).
/// </summary>
internal sealed class FaultProxy
{
    private static readonly Regex BlobPath = new("^/v2/.+/blobs/[a-z0-9]+:[a-f0-9]+", RegexOptions.CultureInvariant);
    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    private readonly string targetHost;
    private readonly int targetPort;
    private readonly long failEvery;
    private readonly long dropEvery;
    private readonly long cutAfterBytes;
    private readonly long cutCount;
    private readonly Regex? match;
    private readonly string retryAfter;
    private readonly Random? random;
    private readonly long rateBytesPerSecond;
    private readonly long maxBody;
    private readonly object gate = new();
    private readonly List<LogEntry> log = new();
    private long total;
    private long matched;
    private long blobGets;
    private long failed;
    private long dropped;
    private long cut;

    private FaultProxy(Options o)
    {
        var target = new Uri(o.Require("target"));
        if (target.Scheme != "http")
        {
            throw new ArgumentException("--target must be an http:// URL");
        }

        targetHost = target.Host;
        targetPort = target.Port;
        failEvery = o.GetLong("fail-every", 0);
        dropEvery = o.GetLong("drop-every", 0);
        cutAfterBytes = o.GetLong("cut-after-bytes", -1);
        cutCount = o.GetLong("cut-count", 1);
        string? pattern = o.Get("match");
        match = pattern is null ? null : new Regex(pattern, RegexOptions.CultureInvariant);
        retryAfter = o.Get("retry-after") ?? "0";
        random = o.Has("seed") ? new Random(o.GetInt("seed", 0)) : null;
        rateBytesPerSecond = o.GetLong("rate", 0);
        maxBody = o.GetLong("max-body", -1);
    }

    private enum Fault
    {
        None,
        Fail,
        Drop,
        Cut,
    }

    public static async Task<int> RunAsync(Options o)
    {
        var proxy = new FaultProxy(o);
        TcpListener listener = Listener.StartAndAnnounce(o.GetInt("port", 0));
        while (true)
        {
            TcpClient client = await listener.AcceptTcpClientAsync().ConfigureAwait(false);
            _ = Task.Run(() => proxy.HandleAsync(client));
        }
    }

    private async Task HandleAsync(TcpClient client)
    {
        client.NoDelay = true;
        TcpClient? upstreamClient = null;
        try
        {
            using var down = new HttpConnection(client.GetStream());
            string? text = await down.ReadHeadAsync().ConfigureAwait(false);
            if (text is null)
            {
                return;
            }

            HttpHead request = HttpHead.Parse(text);
            if (request.Method == "GET" && request.Path == "/_proxy/stats")
            {
                await down.WriteAsync(Listener.SimpleResponse(200, "OK", "application/json", Stats())).ConfigureAwait(false);
                return;
            }

            long number = Interlocked.Increment(ref total);
            Fault fault = Fault.None;
            long matchNumber = 0;
            if (match is null || match.IsMatch(request.Method + " " + request.Target))
            {
                matchNumber = Interlocked.Increment(ref matched);
                if (failEvery > 0 && matchNumber % failEvery == 0)
                {
                    fault = Fault.Fail;
                }
                else if (dropEvery > 0 && matchNumber % dropEvery == 0)
                {
                    fault = Fault.Drop;
                }
            }

            if (fault == Fault.None && cutAfterBytes >= 0 && request.Method == "GET" && BlobPath.IsMatch(request.Path) && (match is null || matchNumber > 0))
            {
                if (Interlocked.Increment(ref blobGets) <= cutCount)
                {
                    fault = Fault.Cut;
                }
            }

            var entry = new LogEntry
            {
                Number = number,
                MatchNumber = matchNumber,
                Method = request.Method,
                Target = request.Target,
                Range = request.Get("Range"),
                Fault = fault.ToString().ToLowerInvariant(),
            };
            lock (gate)
            {
                if (log.Count < 10000)
                {
                    log.Add(entry);
                }
            }

            if (maxBody >= 0 && request.ContentLength > maxBody)
            {
                entry.Status = 413;
                entry.Fault = "too-large";
                await down.WriteAsync(Listener.SimpleResponse(
                    413,
                    "Request Entity Too Large",
                    "text/html",
                    "<html><body>413 Request Entity Too Large</body></html>")).ConfigureAwait(false);
                return;
            }

            if (fault == Fault.Fail)
            {
                Interlocked.Increment(ref failed);
                entry.Status = 503;
                string? expect = request.Get("Expect");
                if (expect is null || !expect.Contains("100-continue", StringComparison.OrdinalIgnoreCase))
                {
                    await down.CopyRequestBodyAsync(request, null).ConfigureAwait(false);
                }

                await down.WriteAsync(Listener.SimpleResponse(
                    503,
                    "Service Unavailable",
                    "application/json",
                    "{\"errors\":[{\"code\":\"UNAVAILABLE\",\"message\":\"fault proxy: injected 503\"}]}",
                    "Retry-After: " + retryAfter)).ConfigureAwait(false);
                return;
            }

            upstreamClient = new TcpClient { NoDelay = true };
            await upstreamClient.ConnectAsync(targetHost, targetPort).ConfigureAwait(false);
            using var up = new HttpConnection(upstreamClient.GetStream());
            request.Remove("Keep-Alive");
            request.Remove("Proxy-Connection");
            request.Set("Connection", "close");
            await up.WriteAsync(request.ToString()).ConfigureAwait(false);

            // The body goes up while the response is awaited (Expect: 100-continue, early errors).
            Task bodyPump = PumpBodyAsync(down, request, up.Stream);

            HttpHead response;
            while (true)
            {
                string? responseText = await up.ReadHeadAsync().ConfigureAwait(false)
                    ?? throw new EndOfStreamException("upstream closed without a response");
                response = HttpHead.Parse(responseText);
                int s = response.StatusCode;
                if (s >= 100 && s < 200 && s != 101)
                {
                    await down.WriteAsync(responseText).ConfigureAwait(false);
                    continue;
                }

                break;
            }

            entry.Status = response.StatusCode;
            response.Remove("Keep-Alive");
            response.Set("Connection", "close");
            bool hasBody = request.Method != "HEAD" && response.StatusCode != 204 && response.StatusCode != 304
                && (response.IsChunked || response.ContentLength is null || response.ContentLength > 0);
            long? limit = null;
            if (fault == Fault.Drop)
            {
                Interlocked.Increment(ref dropped);
                if (!hasBody)
                {
                    entry.Sent = 0;
                    return; // dropped before the response head
                }

                long length = response.ContentLength ?? 2;
                if (random is not null && length > 1)
                {
                    lock (gate)
                    {
                        limit = random.NextInt64(1, length);
                    }
                }
                else
                {
                    limit = length / 2;
                }
            }
            else if (fault == Fault.Cut)
            {
                int s = response.StatusCode;
                if (hasBody && (s == 200 || s == 206) && (response.ContentLength is null || response.ContentLength > cutAfterBytes))
                {
                    Interlocked.Increment(ref cut);
                    limit = cutAfterBytes;
                }
                else
                {
                    entry.Fault = "none";
                }
            }

            await down.WriteAsync(response.ToString()).ConfigureAwait(false);
            entry.Sent = await RelayAsync(up, down.Stream, limit, rateBytesPerSecond).ConfigureAwait(false);
            _ = bodyPump.ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
        }
        catch (Exception ex) when (ex is IOException or SocketException or InvalidDataException or ObjectDisposedException or FormatException)
        {
            Console.Error.WriteLine("proxy: " + ex.Message);
        }
        finally
        {
            upstreamClient?.Dispose();
            try
            {
                client.Client.Shutdown(SocketShutdown.Both);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // already gone
            }

            client.Dispose();
        }
    }

    private static async Task PumpBodyAsync(HttpConnection down, HttpHead request, Stream upstream)
    {
        try
        {
            await down.CopyRequestBodyAsync(request, upstream).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or FormatException or InvalidDataException)
        {
            // The upstream answered early or a side went away; the response path decides what happens.
        }
    }

    /// <summary>Copies the response body to EOF (upstream closes: Connection: close), or only <paramref name="limit"/> bytes.</summary>
    private static async Task<long> RelayAsync(HttpConnection up, Stream downstream, long? limit, long rate)
    {
        byte[] chunk = new byte[rate > 0 ? (int)Math.Min(81920, Math.Max(1024, rate / 20)) : 81920];
        long sent = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (limit is null || sent < limit)
        {
            int want = limit is null ? chunk.Length : (int)Math.Min(chunk.Length, limit.Value - sent);
            int n = await up.ReadAsync(chunk, 0, want).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }

            await downstream.WriteAsync(chunk.AsMemory(0, n)).ConfigureAwait(false);
            sent += n;
            if (rate > 0)
            {
                // --rate: hold response bodies to a bandwidth, so a test can act while a transfer is in flight.
                var due = TimeSpan.FromSeconds((double)sent / rate) - clock.Elapsed;
                if (due > TimeSpan.Zero)
                {
                    await Task.Delay(due).ConfigureAwait(false);
                }
            }
        }

        await downstream.FlushAsync().ConfigureAwait(false);
        return sent;
    }

    private string Stats()
    {
        lock (gate)
        {
            var stats = new StatsDocument
            {
                Requests = Interlocked.Read(ref total),
                Matched = Interlocked.Read(ref matched),
                BlobGets = Interlocked.Read(ref blobGets),
                Failed = Interlocked.Read(ref failed),
                Dropped = Interlocked.Read(ref dropped),
                Cut = Interlocked.Read(ref cut),
                Log = log.ToArray(),
            };
            return JsonSerializer.Serialize(stats, JsonOptions);
        }
    }

    private sealed class LogEntry
    {
        public long Number { get; set; }

        public long MatchNumber { get; set; }

        public string Method { get; set; } = string.Empty;

        public string Target { get; set; } = string.Empty;

        public string? Range { get; set; }

        public string Fault { get; set; } = "none";

        public int Status { get; set; }

        public long Sent { get; set; }
    }

    private sealed class StatsDocument
    {
        public long Requests { get; set; }

        public long Matched { get; set; }

        public long BlobGets { get; set; }

        public long Failed { get; set; }

        public long Dropped { get; set; }

        public long Cut { get; set; }

        public LogEntry[] Log { get; set; } = Array.Empty<LogEntry>();
    }
}
