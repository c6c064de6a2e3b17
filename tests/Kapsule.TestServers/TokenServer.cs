using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace Kapsule.TestServers;

/// <summary>
/// A Docker-registry token issuer (https://distribution.github.io/distribution/spec/auth/token/) on loopback.
/// GET /token?service=S&amp;scope=repository:NAME:pull,push (scope may repeat) with Basic credentials,
/// or POST /token with an OAuth2 password grant form. Grants only requested actions; anonymous callers get
/// pull-only tokens when --anonymous-pull is set, else 401. Signs RS256 JWTs with an x5c header.
/// GET /_stats returns counters as JSON.
/// </summary>
internal sealed class TokenServer
{
    private static readonly string[] KnownActions = { "pull", "push", "delete", "*" };
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly string issuer;
    private readonly string service;
    private readonly string user;
    private readonly string password;
    private readonly bool anonymousPull;
    private readonly int ttl;
    private readonly RSA key;
    private readonly X509Certificate2 certificate;
    private long requests;
    private long granted;
    private long denied;

    private TokenServer(Options o)
    {
        issuer = o.Get("issuer") ?? "kapsule-test-issuer";
        service = o.Get("service") ?? "kapsule-test-registry";
        user = o.Require("user");
        password = o.Require("password");
        anonymousPull = o.Has("anonymous-pull");
        ttl = o.GetInt("ttl", 300);
        key = RSA.Create(2048);
        var request = new CertificateRequest("CN=Kapsule test token issuer", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign, true));
        DateTimeOffset now = DateTimeOffset.UtcNow;
        certificate = request.CreateSelfSigned(now.AddHours(-1), now.AddDays(7));
    }

    public static async Task<int> RunAsync(Options o)
    {
        var server = new TokenServer(o);
        string certOut = o.Require("cert-out");
        await File.WriteAllTextAsync(certOut, server.certificate.ExportCertificatePem() + "\n").ConfigureAwait(false);
        TcpListener listener = Listener.StartAndAnnounce(o.GetInt("port", 0));
        while (true)
        {
            TcpClient client = await listener.AcceptTcpClientAsync().ConfigureAwait(false);
            _ = Task.Run(() => server.HandleAsync(client));
        }
    }

    private async Task HandleAsync(TcpClient client)
    {
        try
        {
            using (client)
            using (var conn = new HttpConnection(client.GetStream()))
            {
                string? text = await conn.ReadHeadAsync().ConfigureAwait(false);
                if (text is null)
                {
                    return;
                }

                HttpHead head = HttpHead.Parse(text);
                byte[] body = Array.Empty<byte>();
                if ((head.ContentLength ?? 0) > 0 || head.IsChunked)
                {
                    using var ms = new MemoryStream();
                    await conn.CopyRequestBodyAsync(head, ms).ConfigureAwait(false);
                    body = ms.ToArray();
                    if (head.IsChunked)
                    {
                        body = Dechunk(body);
                    }
                }

                await conn.WriteAsync(Respond(head, body)).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or InvalidDataException or FormatException or ObjectDisposedException)
        {
            Console.Error.WriteLine("token: " + ex.Message);
        }
    }

    private byte[] Respond(HttpHead head, byte[] body)
    {
        string path = head.Path;
        if (path == "/_stats")
        {
            string stats = "{\"requests\":" + Interlocked.Read(ref requests).ToString(CultureInfo.InvariantCulture)
                + ",\"granted\":" + Interlocked.Read(ref granted).ToString(CultureInfo.InvariantCulture)
                + ",\"denied\":" + Interlocked.Read(ref denied).ToString(CultureInfo.InvariantCulture) + "}";
            return Listener.SimpleResponse(200, "OK", "application/json", stats);
        }

        if (path != "/token")
        {
            return Listener.SimpleResponse(404, "Not Found", "application/json", "{\"errors\":[{\"code\":\"NOT_FOUND\"}]}");
        }

        Interlocked.Increment(ref requests);
        List<KeyValuePair<string, string>> query;
        string? givenUser = null;
        string? givenPassword = null;
        if (head.Method == "GET")
        {
            int q = head.Target.IndexOf('?', StringComparison.Ordinal);
            query = ParseForm(q >= 0 ? head.Target.Substring(q + 1) : string.Empty);
            string? auth = head.Get("Authorization");
            if (auth is not null)
            {
                if (!auth.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
                {
                    return Deny("unsupported authorization scheme");
                }

                string decoded;
                try
                {
                    decoded = Encoding.UTF8.GetString(Convert.FromBase64String(auth.Substring(6).Trim()));
                }
                catch (FormatException)
                {
                    return Deny("malformed basic credentials");
                }

                int colon = decoded.IndexOf(':', StringComparison.Ordinal);
                if (colon < 0)
                {
                    return Deny("malformed basic credentials");
                }

                givenUser = decoded.Substring(0, colon);
                givenPassword = decoded.Substring(colon + 1);
            }
        }
        else if (head.Method == "POST")
        {
            query = ParseForm(Encoding.UTF8.GetString(body));
            string? grant = Value(query, "grant_type");
            if (grant != "password")
            {
                Interlocked.Increment(ref denied);
                return Listener.SimpleResponse(400, "Bad Request", "application/json", "{\"error\":\"unsupported_grant_type\"}");
            }

            givenUser = Value(query, "username");
            givenPassword = Value(query, "password");
        }
        else
        {
            return Listener.SimpleResponse(405, "Method Not Allowed", "application/json", "{}", "Allow: GET, POST");
        }

        bool authenticated = false;
        if (givenUser is not null || givenPassword is not null)
        {
            if (!FixedEquals(givenUser ?? string.Empty, user) || !FixedEquals(givenPassword ?? string.Empty, password))
            {
                return Deny("invalid username or password");
            }

            authenticated = true;
        }
        else if (!anonymousPull)
        {
            return Deny("authentication required");
        }

        string? requestedService = Value(query, "service");
        if (requestedService is not null && requestedService != service)
        {
            Interlocked.Increment(ref denied);
            return Listener.SimpleResponse(400, "Bad Request", "application/json", "{\"errors\":[{\"code\":\"UNSUPPORTED\",\"message\":\"unknown service\"}]}");
        }

        var access = new List<(string Type, string Name, List<string> Actions)>();
        foreach (KeyValuePair<string, string> kv in query.Where(kv => kv.Key == "scope"))
        {
            foreach (string scope in kv.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                int first = scope.IndexOf(':', StringComparison.Ordinal);
                int last = scope.LastIndexOf(':');
                if (first <= 0 || last <= first)
                {
                    continue;
                }

                string type = scope.Substring(0, first);
                string name = scope.Substring(first + 1, last - first - 1);
                var actions = scope.Substring(last + 1).Split(',', StringSplitOptions.RemoveEmptyEntries)
                    .Where(a => KnownActions.Contains(a))
                    .Where(a => authenticated || (a == "pull" && type == "repository"))
                    .Distinct(StringComparer.Ordinal)
                    .ToList();
                if (actions.Count == 0)
                {
                    continue;
                }

                int existing = access.FindIndex(x => x.Type == type && x.Name == name);
                if (existing >= 0)
                {
                    access[existing].Actions.AddRange(actions.Where(a => !access[existing].Actions.Contains(a)));
                }
                else
                {
                    access.Add((type, name, actions));
                }
            }
        }

        string subject = authenticated ? user : string.Empty;
        DateTimeOffset now = DateTimeOffset.UtcNow;
        string token = Sign(subject, access, now);
        Interlocked.Increment(ref granted);
        var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("token", token);
            w.WriteString("access_token", token);
            w.WriteNumber("expires_in", ttl);
            w.WriteString("issued_at", now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
            w.WriteEndObject();
        }

        return Listener.SimpleResponse(200, "OK", "application/json", Encoding.UTF8.GetString(ms.ToArray()));
    }

    private byte[] Deny(string message)
    {
        Interlocked.Increment(ref denied);
        return Listener.SimpleResponse(
            401,
            "Unauthorized",
            "application/json",
            "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"" + message + "\"}]}",
            "WWW-Authenticate: Basic realm=\"kapsule-test-token-issuer\"");
    }

    private string Sign(string subject, List<(string Type, string Name, List<string> Actions)> access, DateTimeOffset now)
    {
        var header = new MemoryStream();
        using (var w = new Utf8JsonWriter(header, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("typ", "JWT");
            w.WriteString("alg", "RS256");
            w.WriteStartArray("x5c");
            w.WriteStringValue(Convert.ToBase64String(certificate.RawData));
            w.WriteEndArray();
            w.WriteEndObject();
        }

        long iat = now.ToUnixTimeSeconds();
        var claims = new MemoryStream();
        using (var w = new Utf8JsonWriter(claims, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("iss", issuer);
            w.WriteString("sub", subject);
            w.WriteString("aud", service);
            w.WriteNumber("exp", iat + ttl);
            w.WriteNumber("nbf", iat - 10);
            w.WriteNumber("iat", iat);
            w.WriteString("jti", Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant());
            w.WriteStartArray("access");
            foreach ((string type, string name, List<string> actions) in access)
            {
                w.WriteStartObject();
                w.WriteString("type", type);
                w.WriteString("name", name);
                w.WriteStartArray("actions");
                foreach (string a in actions)
                {
                    w.WriteStringValue(a);
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        string signingInput = Base64Url(header.ToArray()) + "." + Base64Url(claims.ToArray());
        byte[] signature = key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return signingInput + "." + Base64Url(signature);
    }

    private static string Base64Url(byte[] data) => Convert.ToBase64String(data).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static bool FixedEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));

    private static string? Value(List<KeyValuePair<string, string>> form, string key) =>
        form.Where(kv => kv.Key == key).Select(kv => kv.Value).FirstOrDefault();

    private static List<KeyValuePair<string, string>> ParseForm(string text)
    {
        var result = new List<KeyValuePair<string, string>>();
        foreach (string part in text.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            string k = eq >= 0 ? part.Substring(0, eq) : part;
            string v = eq >= 0 ? part.Substring(eq + 1) : string.Empty;
            result.Add(new KeyValuePair<string, string>(Uri.UnescapeDataString(k.Replace('+', ' ')), Uri.UnescapeDataString(v.Replace('+', ' '))));
        }

        return result;
    }

    private static byte[] Dechunk(byte[] raw)
    {
        var output = new MemoryStream();
        int pos = 0;
        while (pos < raw.Length)
        {
            int lineEnd = IndexOfCrLf(raw, pos);
            if (lineEnd < 0)
            {
                break;
            }

            string sizeText = Encoding.ASCII.GetString(raw, pos, lineEnd - pos).Split(';')[0].Trim();
            int size = int.Parse(sizeText, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            pos = lineEnd + 2;
            if (size == 0)
            {
                break;
            }

            output.Write(raw, pos, size);
            pos += size + 2;
        }

        return output.ToArray();
    }

    private static int IndexOfCrLf(byte[] data, int from)
    {
        for (int i = from; i + 1 < data.Length; i++)
        {
            if (data[i] == '\r' && data[i + 1] == '\n')
            {
                return i;
            }
        }

        return -1;
    }
}
