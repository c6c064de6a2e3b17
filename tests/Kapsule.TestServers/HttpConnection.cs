using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks;

namespace Kapsule.TestServers;

/// <summary>A buffered byte stream that can read an HTTP head without consuming the body after it.</summary>
internal sealed class HttpConnection : IDisposable
{
    private const int MaxHead = 64 * 1024;
    private readonly Stream stream;
    private readonly byte[] buffer = new byte[MaxHead + 4096];
    private int start;
    private int end;

    public HttpConnection(Stream stream)
    {
        this.stream = stream;
    }

    public Stream Stream => stream;

    /// <summary>Reads up to and including the blank line. Null on a clean EOF before any byte.</summary>
    public async Task<string?> ReadHeadAsync()
    {
        int searchFrom = start;
        while (true)
        {
            // A real HTTP server drops a connection that does not start with a method (e.g. a TLS ClientHello)
            // at once; so does this one, so clients probing for TLS get a quick answer.
            if (end > start && (buffer[start] < 'A' || buffer[start] > 'Z'))
            {
                throw new InvalidDataException("not an HTTP request");
            }

            for (int i = Math.Max(searchFrom, start); i + 3 < end; i++)
            {
                if (buffer[i] == '\r' && buffer[i + 1] == '\n' && buffer[i + 2] == '\r' && buffer[i + 3] == '\n')
                {
                    string head = Encoding.Latin1.GetString(buffer, start, i + 4 - start);
                    start = i + 4;
                    return head;
                }
            }

            searchFrom = Math.Max(start, end - 3);
            if (end - start >= MaxHead)
            {
                throw new InvalidDataException("HTTP head too large");
            }

            int before = end - start;
            if (!await FillAsync().ConfigureAwait(false))
            {
                if (before == 0)
                {
                    return null;
                }

                throw new EndOfStreamException("connection closed inside an HTTP head");
            }

            searchFrom = start + Math.Max(0, before - 3);
        }
    }

    /// <summary>Reads one CRLF-terminated line, returned with its CRLF.</summary>
    public async Task<string> ReadLineAsync()
    {
        while (true)
        {
            for (int i = start; i + 1 < end; i++)
            {
                if (buffer[i] == '\r' && buffer[i + 1] == '\n')
                {
                    string line = Encoding.Latin1.GetString(buffer, start, i + 2 - start);
                    start = i + 2;
                    return line;
                }
            }

            if (end - start >= MaxHead)
            {
                throw new InvalidDataException("line too long");
            }

            if (!await FillAsync().ConfigureAwait(false))
            {
                throw new EndOfStreamException("connection closed inside a line");
            }
        }
    }

    public async Task<int> ReadAsync(byte[] destination, int offset, int count)
    {
        if (start < end)
        {
            int n = Math.Min(count, end - start);
            Buffer.BlockCopy(buffer, start, destination, offset, n);
            start += n;
            return n;
        }

        return await stream.ReadAsync(destination.AsMemory(offset, count)).ConfigureAwait(false);
    }

    public Task WriteAsync(string text) => WriteAsync(Encoding.Latin1.GetBytes(text));

    public async Task WriteAsync(byte[] data)
    {
        await stream.WriteAsync(data).ConfigureAwait(false);
        await stream.FlushAsync().ConfigureAwait(false);
    }

    /// <summary>Copies exactly <paramref name="count"/> bytes to <paramref name="sink"/>.</summary>
    public async Task CopyExactAsync(long count, Stream? sink)
    {
        byte[] chunk = new byte[81920];
        while (count > 0)
        {
            int n = await ReadAsync(chunk, 0, (int)Math.Min(chunk.Length, count)).ConfigureAwait(false);
            if (n == 0)
            {
                throw new EndOfStreamException("connection closed inside a body");
            }

            if (sink is not null)
            {
                await sink.WriteAsync(chunk.AsMemory(0, n)).ConfigureAwait(false);
            }

            count -= n;
        }

        if (sink is not null)
        {
            await sink.FlushAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Copies a chunked body verbatim (chunk lines, data, trailers) to <paramref name="sink"/>.</summary>
    public async Task CopyChunkedAsync(Stream? sink)
    {
        while (true)
        {
            string sizeLine = await ReadLineAsync().ConfigureAwait(false);
            await WriteToAsync(sink, sizeLine).ConfigureAwait(false);
            string hex = sizeLine.Trim();
            int semi = hex.IndexOf(';', StringComparison.Ordinal);
            if (semi >= 0)
            {
                hex = hex.Substring(0, semi).Trim();
            }

            long size = long.Parse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (size == 0)
            {
                while (true)
                {
                    string trailer = await ReadLineAsync().ConfigureAwait(false);
                    await WriteToAsync(sink, trailer).ConfigureAwait(false);
                    if (trailer == "\r\n")
                    {
                        if (sink is not null)
                        {
                            await sink.FlushAsync().ConfigureAwait(false);
                        }

                        return;
                    }
                }
            }

            await CopyExactAsync(size, sink).ConfigureAwait(false);
            string crlf = await ReadLineAsync().ConfigureAwait(false);
            await WriteToAsync(sink, crlf).ConfigureAwait(false);
        }
    }

    /// <summary>Copies (or with a null sink, drains) a request body framed per its head.</summary>
    public Task CopyRequestBodyAsync(HttpHead head, Stream? sink)
    {
        if (head.IsChunked)
        {
            return CopyChunkedAsync(sink);
        }

        long length = head.ContentLength ?? 0;
        return length > 0 ? CopyExactAsync(length, sink) : Task.CompletedTask;
    }

    public void Dispose() => stream.Dispose();

    private static async Task WriteToAsync(Stream? sink, string text)
    {
        if (sink is not null)
        {
            await sink.WriteAsync(Encoding.Latin1.GetBytes(text)).ConfigureAwait(false);
        }
    }

    private async Task<bool> FillAsync()
    {
        if (start == end)
        {
            start = end = 0;
        }
        else if (end == buffer.Length)
        {
            Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
            end -= start;
            start = 0;
        }

        int n = await stream.ReadAsync(buffer.AsMemory(end, buffer.Length - end)).ConfigureAwait(false);
        if (n == 0)
        {
            return false;
        }

        end += n;
        return true;
    }
}

/// <summary>A parsed request or response head: first line plus ordered header fields.</summary>
internal sealed class HttpHead
{
    private HttpHead(string firstLine, List<KeyValuePair<string, string>> headers)
    {
        FirstLine = firstLine;
        Headers = headers;
    }

    public string FirstLine { get; set; }

    public List<KeyValuePair<string, string>> Headers { get; }

    public string Method => FirstLine.Split(' ')[0];

    public string Target
    {
        get
        {
            string[] parts = FirstLine.Split(' ');
            return parts.Length > 1 ? parts[1] : "/";
        }
    }

    public string Path
    {
        get
        {
            string t = Target;
            int q = t.IndexOf('?', StringComparison.Ordinal);
            return q >= 0 ? t.Substring(0, q) : t;
        }
    }

    public int StatusCode
    {
        get
        {
            string[] parts = FirstLine.Split(' ');
            return parts.Length > 1 && int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out int s) ? s : 0;
        }
    }

    public bool IsChunked
    {
        get
        {
            string? te = Get("Transfer-Encoding");
            return te is not null && te.Contains("chunked", StringComparison.OrdinalIgnoreCase);
        }
    }

    public long? ContentLength
    {
        get
        {
            string? cl = Get("Content-Length");
            return cl is not null && long.TryParse(cl.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out long n) ? n : null;
        }
    }

    public static HttpHead Parse(string text)
    {
        string[] lines = text.Split("\r\n");
        var headers = new List<KeyValuePair<string, string>>();
        for (int i = 1; i < lines.Length; i++)
        {
            string line = lines[i];
            if (line.Length == 0)
            {
                continue;
            }

            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw new InvalidDataException("bad header line: " + line);
            }

            headers.Add(new KeyValuePair<string, string>(line.Substring(0, colon).Trim(), line.Substring(colon + 1).Trim()));
        }

        return new HttpHead(lines[0], headers);
    }

    public string? Get(string name)
    {
        foreach (KeyValuePair<string, string> h in Headers)
        {
            if (string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase))
            {
                return h.Value;
            }
        }

        return null;
    }

    public void Remove(string name) => Headers.RemoveAll(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase));

    public void Set(string name, string value)
    {
        Remove(name);
        Headers.Add(new KeyValuePair<string, string>(name, value));
    }

    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append(FirstLine).Append("\r\n");
        foreach (KeyValuePair<string, string> h in Headers)
        {
            sb.Append(h.Key).Append(": ").Append(h.Value).Append("\r\n");
        }

        sb.Append("\r\n");
        return sb.ToString();
    }
}

internal static class Listener
{
    /// <summary>Binds 127.0.0.1:port (0 = any free port) and announces it on stdout.</summary>
    public static TcpListener StartAndAnnounce(int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start(512);
        int actual = ((IPEndPoint)listener.LocalEndpoint).Port;
        Console.Out.WriteLine("LISTENING http://127.0.0.1:" + actual.ToString(CultureInfo.InvariantCulture));
        Console.Out.Flush();
        return listener;
    }

    public static byte[] SimpleResponse(int status, string reason, string contentType, string body, params string[] extraHeaders)
    {
        var sb = new StringBuilder();
        sb.Append("HTTP/1.1 ").Append(status.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(reason).Append("\r\n");
        sb.Append("Content-Type: ").Append(contentType).Append("\r\n");
        sb.Append("Content-Length: ").Append(Encoding.UTF8.GetByteCount(body).ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        foreach (string h in extraHeaders)
        {
            sb.Append(h).Append("\r\n");
        }

        sb.Append("Connection: close\r\n\r\n");
        byte[] head = Encoding.Latin1.GetBytes(sb.ToString());
        byte[] payload = Encoding.UTF8.GetBytes(body);
        byte[] all = new byte[head.Length + payload.Length];
        Buffer.BlockCopy(head, 0, all, 0, head.Length);
        Buffer.BlockCopy(payload, 0, all, head.Length, payload.Length);
        return all;
    }
}
