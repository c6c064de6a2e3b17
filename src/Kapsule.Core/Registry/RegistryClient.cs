using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Kapsule.Content;
using Kapsule.Oci;

namespace Kapsule.Registry
{
    /// <summary>A manifest as fetched: its exact bytes and the descriptor that names them.</summary>
    public sealed class ManifestResult
    {
        public ManifestResult(byte[] bytes, Descriptor descriptor)
        {
            Bytes = bytes;
            Descriptor = descriptor;
        }

        public byte[] Bytes { get; }
        public Descriptor Descriptor { get; }
    }

    public enum BlobPushOutcome
    {
        Uploaded,
        /// <summary>The registry already had it: no bytes were sent.</summary>
        Skipped,
        /// <summary>Mounted from another repository of the same registry: no bytes were sent.</summary>
        Mounted,
    }

    /// <summary>
    /// A client of the OCI distribution API (distribution-spec v1.1), written from the spec: ping,
    /// manifests, tags, blobs with resumable ranged download, monolithic and chunked upload with
    /// fallback, cross-repository mount, Basic and Bearer auth with a token cache, retries with backoff.
    /// One instance may serve many registries and many concurrent transfers.
    /// </summary>
    public sealed class RegistryClient : IDisposable
    {
        private const int IoBuffer = 1 << 20;
        private static readonly string[] ManifestAccept =
        {
            MediaTypes.OciManifest, MediaTypes.OciIndex, MediaTypes.DockerManifest, MediaTypes.DockerManifestList,
        };

        private readonly RegistryClientOptions _options;
        private readonly HttpClient _http;
        private readonly X509Certificate2Collection _extraRoots = new X509Certificate2Collection();
        private readonly ConcurrentDictionary<string, Lazy<Task<Uri>>> _bases = new ConcurrentDictionary<string, Lazy<Task<Uri>>>(StringComparer.OrdinalIgnoreCase);
        private readonly ConcurrentDictionary<string, string> _tlsFailures = new ConcurrentDictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        private readonly RegistryAuthenticator _auth;
        private readonly Random _jitter = new Random();

        public RegistryClient(RegistryClientOptions? options = null)
        {
            _options = options ?? new RegistryClientOptions();
            if (_options.CaFile != null) LoadCaFile(_options.CaFile);
            var handler = new HttpClientHandler
            {
                AllowAutoRedirect = true,
                AutomaticDecompression = DecompressionMethods.None,
                UseCookies = false,
                ServerCertificateCustomValidationCallback = ValidateCertificate,
            };
            _http = new HttpClient(handler, true) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
            _http.DefaultRequestHeaders.UserAgent.ParseAdd(_options.UserAgent);
            _auth = new RegistryAuthenticator(_options, _http, Log);
        }

        public RegistryClientOptions Options => _options;

        private void Log(string message) => _options.Log?.Invoke(message);

        // ------------------------------------------------------------------ TLS

        private void LoadCaFile(string path)
        {
            string pem;
            try
            {
                pem = File.ReadAllText(path);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw new KapsuleException("KapsuleCaFileUnreadable", KapsuleErrorKind.InvalidArgument,
                    $"The CA file '{path}' cannot be read: {e.Message}", e) { Target = path };
            }
            const string begin = "-----BEGIN CERTIFICATE-----", end = "-----END CERTIFICATE-----";
            int i = 0;
            while ((i = pem.IndexOf(begin, i, StringComparison.Ordinal)) >= 0)
            {
                int j = pem.IndexOf(end, i, StringComparison.Ordinal);
                if (j < 0) break;
                var b64 = pem.Substring(i + begin.Length, j - i - begin.Length);
                try
                {
                    _extraRoots.Add(new X509Certificate2(Convert.FromBase64String(string.Concat(b64.Where(c => !char.IsWhiteSpace(c))))));
                }
                catch (Exception e) when (e is FormatException || e is System.Security.Cryptography.CryptographicException)
                {
                    throw new KapsuleException("KapsuleCaFileInvalid", KapsuleErrorKind.InvalidArgument,
                        $"The CA file '{path}' holds a certificate that cannot be read: {e.Message}", e) { Target = path };
                }
                i = j + end.Length;
            }
            if (_extraRoots.Count == 0)
                throw new KapsuleException("KapsuleCaFileInvalid", KapsuleErrorKind.InvalidArgument,
                    $"The CA file '{path}' holds no PEM certificate (-----BEGIN CERTIFICATE-----).") { Target = path };
        }

        private bool ValidateCertificate(HttpRequestMessage request, X509Certificate2? certificate, X509Chain? chain, SslPolicyErrors errors)
        {
            if (_options.SkipCertificateCheck || errors == SslPolicyErrors.None) return true;
            var host = request.RequestUri?.Authority ?? string.Empty;
            if (errors == SslPolicyErrors.RemoteCertificateChainErrors && certificate != null && _extraRoots.Count > 0)
            {
                using var custom = new X509Chain();
                custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                custom.ChainPolicy.VerificationFlags = X509VerificationFlags.AllowUnknownCertificateAuthority;
                custom.ChainPolicy.ExtraStore.AddRange(_extraRoots);
                if (custom.Build(certificate))
                {
                    var root = custom.ChainElements[custom.ChainElements.Count - 1].Certificate;
                    if (_extraRoots.Cast<X509Certificate2>().Any(ca => ca.Thumbprint == root.Thumbprint)) return true;
                }
            }
            _tlsFailures[host] = errors.ToString();
            return false;
        }

        // ------------------------------------------------------------------ transport

        /// <summary>
        /// The base URL of a registry. HTTPS always; a loopback registry (or any, with AllowInsecure) that does
        /// not speak TLS is reached over plain HTTP instead — but a TLS certificate that fails validation is an
        /// error, never a reason to fall back.
        /// </summary>
        internal Task<Uri> GetBaseUriAsync(string registry, CancellationToken cancellationToken)
        {
            // One probe per registry, shared by every concurrent transfer; a failed probe is not cached.
            var lazy = _bases.GetOrAdd(registry, r => new Lazy<Task<Uri>>(() => ProbeBaseUriAsync(r, cancellationToken)));
            var task = lazy.Value;
            if (task.IsFaulted || task.IsCanceled) _bases.TryRemove(registry, out _);
            return task;
        }

        /// <summary>The host that serves a registry's API (Docker Hub's is not docker.io itself).</summary>
        private static string HostOf(string registry) => registry == "docker.io" ? "registry-1.docker.io" : registry;

        private async Task<Uri> ProbeBaseUriAsync(string registry, CancellationToken cancellationToken)
        {
            var host = HostOf(registry);
            var https = new Uri("https://" + host + "/");
            bool mayUseHttp = _options.AllowInsecure || Reference.IsLoopbackRegistry(registry);
            if (!mayUseHttp) return https;

            try
            {
                using var probe = new HttpRequestMessage(HttpMethod.Get, new Uri(https, "v2/"));
                using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                cts.CancelAfter(TimeSpan.FromSeconds(10));
                using var _ = await _http.SendAsync(probe, HttpCompletionOption.ResponseHeadersRead, cts.Token).ConfigureAwait(false);
                return https;
            }
            catch (Exception e) when ((e is HttpRequestException || e is OperationCanceledException) && !cancellationToken.IsCancellationRequested)
            {
                // A TLS handshake that fails for a reason other than the certificate (a plain-HTTP server
                // answering, or not answering, a ClientHello) means the registry does not speak TLS.
                if (_tlsFailures.TryGetValue(https.Authority, out var why)) throw TlsUntrusted(registry, why, e);
                Log($"{registry} does not answer HTTPS ({e.GetBaseException().Message}); using plain HTTP.");
                return new Uri("http://" + host + "/");
            }
        }

        private static KapsuleException TlsUntrusted(string registry, string why, Exception inner)
            => new KapsuleException(RegistryErrorIds.TlsUntrusted, KapsuleErrorKind.SecurityError,
                $"The TLS certificate of {registry} is not trusted ({why}). Pass the registry's CA certificate with -CaFile, " +
                "or -SkipCertificateCheck if you trust this network.", inner) { Target = registry };

        /// <summary>
        /// Sends a request with auth, re-authenticating once on 401, and retrying transient failures (connection
        /// errors, 429, 5xx) with exponential backoff and jitter, honouring Retry-After, when <paramref name="retry"/>.
        /// The factory is called for every attempt, so request bodies are fresh each time.
        /// </summary>
        internal async Task<HttpResponseMessage> SendAsync(string registry, string? scope, Func<Uri, HttpRequestMessage> make,
            bool retry, CancellationToken cancellationToken, bool allowAutoAuth = true)
        {
            var baseUri = await GetBaseUriAsync(registry, cancellationToken).ConfigureAwait(false);
            int attempt = 0;
            bool reauthenticated = false;
            while (true)
            {
                attempt++;
                HttpResponseMessage response;
                string? sentAuthorization;
                try
                {
                    using var request = make(baseUri);
                    await _auth.ApplyAsync(request, registry, baseUri, scope, cancellationToken).ConfigureAwait(false);
                    sentAuthorization = request.Headers.Authorization?.ToString();
                    response = await SendOnceAsync(request, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (IsTransient(e, cancellationToken))
                {
                    // Requests with a body are retried by their caller, which knows how to resume them.
                    if (!retry) throw;
                    if (attempt >= _options.MaxAttempts) throw Unreachable(registry, e, attempt);
                    Log($"{registry}: {e.GetBaseException().Message}; retry {attempt} of {_options.MaxAttempts - 1}.");
                    await DelayAsync(attempt, null, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                if (response.StatusCode == HttpStatusCode.Unauthorized && allowAutoAuth && !reauthenticated)
                {
                    reauthenticated = true;
                    var challenges = response.Headers.WwwAuthenticate.SelectMany(h => AuthChallenge.Parse(h.ToString())).ToList();
                    if (await _auth.AuthenticateAsync(registry, baseUri, scope, challenges, sentAuthorization, cancellationToken).ConfigureAwait(false))
                    {
                        response.Dispose();
                        attempt--;
                        continue;
                    }
                }

                int status = (int)response.StatusCode;
                if (retry && (status == 429 || status == 500 || status == 502 || status == 503 || status == 504) && attempt < _options.MaxAttempts)
                {
                    var after = RetryAfter(response);
                    Log($"{registry}: {status} {response.ReasonPhrase}; retry {attempt} of {_options.MaxAttempts - 1}.");
                    response.Dispose();
                    await DelayAsync(attempt, after, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                return response;
            }
        }

        private async Task<HttpResponseMessage> SendOnceAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            // The idle timeout covers the wait for response headers; bodies are read with the caller's token.
            // The idle timeout restarts whenever the request body is read, so a long upload is limited by
            // silence, not by its length.
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(_options.IdleTimeout);
            if (request.Content is UploadContent upload) upload.Body.Activity = () => ResetTimer(cts, _options.IdleTimeout);
            try
            {
                return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"No answer within {_options.IdleTimeout.TotalSeconds:0} s.", e);
            }
        }

        private static void ResetTimer(CancellationTokenSource cts, TimeSpan after)
        {
            try { cts.CancelAfter(after); }
            catch (ObjectDisposedException) { }
        }

        /// <summary>A streamed request body whose reads keep the request's idle timer alive.</summary>
        private sealed class UploadContent : StreamContent
        {
            public UploadContent(ProgressStream body) : base(body, IoBuffer)
            {
                Body = body;
                Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            }

            public ProgressStream Body { get; }
        }

        internal static bool IsTransient(Exception e, CancellationToken cancellationToken)
        {
            if (cancellationToken.IsCancellationRequested) return false;
            return e is HttpRequestException || e is IOException || e is TimeoutException ||
                   (e is OperationCanceledException && !cancellationToken.IsCancellationRequested);
        }

        internal async Task DelayAsync(int attempt, TimeSpan? retryAfter, CancellationToken cancellationToken)
        {
            TimeSpan delay;
            if (retryAfter is TimeSpan ra)
            {
                delay = ra > _options.MaxRetryDelay ? _options.MaxRetryDelay : ra;
            }
            else
            {
                double baseMs = _options.RetryDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 16));
                double jitter;
                lock (_jitter) jitter = 0.5 + _jitter.NextDouble(); // 50% to 150%
                delay = TimeSpan.FromMilliseconds(Math.Min(baseMs * jitter, _options.MaxRetryDelay.TotalMilliseconds));
            }
            if (delay > TimeSpan.Zero) await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        }

        private static TimeSpan? RetryAfter(HttpResponseMessage response)
        {
            var ra = response.Headers.RetryAfter;
            if (ra == null) return null;
            if (ra.Delta is TimeSpan d) return d;
            if (ra.Date is DateTimeOffset at)
            {
                var wait = at - DateTimeOffset.UtcNow;
                return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
            }
            return null;
        }

        private KapsuleException Unreachable(string registry, Exception e, int attempts)
        {
            var host = HostOf(registry);
            if (_tlsFailures.TryGetValue(host, out var why) || _tlsFailures.TryGetValue(host + ":443", out why))
                return TlsUntrusted(registry, why, e);
            return new KapsuleException(RegistryErrorIds.Unreachable, KapsuleErrorKind.ConnectionError,
                $"Cannot reach {registry} after {attempts} attempt(s): {e.GetBaseException().Message}", e) { Target = registry };
        }

        private static async Task<KapsuleException> FailureAsync(HttpResponseMessage response, string what, string target)
        {
            string? body = null;
            try
            {
                var bytes = await ReadLimitedAsync(response.Content, 64 * 1024, CancellationToken.None).ConfigureAwait(false);
                body = Encoding.UTF8.GetString(bytes);
            }
            catch (Exception e) when (e is IOException || e is HttpRequestException || e is InvalidDataException)
            {
            }
            return RegistryErrors.FromResponse(response.StatusCode, body, what, target);
        }

        private static async Task<byte[]> ReadLimitedAsync(HttpContent content, int limit, CancellationToken cancellationToken)
        {
            using var stream = await content.ReadAsStreamAsync().ConfigureAwait(false);
            var ms = new MemoryStream();
            var buffer = new byte[64 * 1024];
            int n;
            while ((n = await stream.ReadAsync(buffer, 0, buffer.Length, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (ms.Length + n > limit) throw new InvalidDataException($"more than {limit} bytes");
                ms.Write(buffer, 0, n);
            }
            return ms.ToArray();
        }

        private static string Scope(string repository, bool push) => $"repository:{repository}:{(push ? "pull,push" : "pull")}";

        private static Uri Api(Uri baseUri, string path) => new Uri(baseUri, "v2/" + path);

        // ------------------------------------------------------------------ ping

        /// <summary>
        /// Checks that the registry answers the v2 API and that the credentials are accepted (as docker login
        /// does). Throws KapsuleAuthenticationFailed for refused credentials.
        /// </summary>
        public async Task PingAsync(string registry, CancellationToken cancellationToken = default)
        {
            using var response = await SendAsync(registry, null, b => new HttpRequestMessage(HttpMethod.Get, Api(b, "")), true, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode) throw await FailureAsync(response, $"Ping of {registry}", registry).ConfigureAwait(false);
        }

        // ------------------------------------------------------------------ manifests

        public Task<ManifestResult> GetManifestAsync(Reference reference, CancellationToken cancellationToken = default)
            => WithRetriesAsync(reference.Registry, () => FetchManifestAsync(reference, cancellationToken), cancellationToken);

        /// <summary>
        /// Retries a whole request-and-read (for responses whose body is read after SendAsync returned, where a
        /// connection cut mid-body is transient too).
        /// </summary>
        private async Task<T> WithRetriesAsync<T>(string registry, Func<Task<T>> operation, CancellationToken cancellationToken)
        {
            for (int attempt = 1; ; attempt++)
            {
                try
                {
                    return await operation().ConfigureAwait(false);
                }
                catch (Exception e) when (IsTransient(e, cancellationToken) && attempt < _options.MaxAttempts)
                {
                    Log($"{registry}: {e.GetBaseException().Message}; retry {attempt} of {_options.MaxAttempts - 1}.");
                    await DelayAsync(attempt, null, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        private async Task<ManifestResult> FetchManifestAsync(Reference reference, CancellationToken cancellationToken)
        {
            var target = reference.ToString();
            using var response = await SendAsync(reference.Registry, Scope(reference.Repository, false), b =>
            {
                var r = new HttpRequestMessage(HttpMethod.Get, Api(b, $"{reference.Repository}/manifests/{reference.ReferenceOrDigest}"));
                foreach (var a in ManifestAccept) r.Headers.Accept.ParseAdd(a);
                return r;
            }, true, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode) throw await FailureAsync(response, $"Manifest {target}", target).ConfigureAwait(false);

            var declared = response.Content.Headers.ContentLength;
            if (declared > Manifest.MaxBytes) throw TooLarge(target, declared.Value);
            byte[] bytes;
            try
            {
                bytes = await ReadLimitedAsync(response.Content, Manifest.MaxBytes, cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidDataException)
            {
                throw TooLarge(target, -1);
            }
            if (declared.HasValue && declared.Value != bytes.Length)
                throw new KapsuleException(ErrorIds.SizeMismatch, KapsuleErrorKind.InvalidData,
                    $"Manifest {target}: the registry declared {declared} bytes and sent {bytes.Length}.") { Target = target };

            var algorithm = reference.Digest?.Algorithm ?? Digest.Sha256;
            var actual = Digest.Compute(bytes, algorithm);
            if (reference.Digest is Digest wanted && wanted != actual)
                throw OciLayoutStore.Mismatch(wanted, actual, $"of manifest {target}");
            if (response.Headers.TryGetValues("Docker-Content-Digest", out var values) &&
                Digest.TryParse(values.FirstOrDefault(), out var headerDigest) && headerDigest.Algorithm == algorithm && headerDigest != actual)
                throw OciLayoutStore.Mismatch(headerDigest, actual, $"of manifest {target} (Docker-Content-Digest)");

            var contentType = response.Content.Headers.ContentType?.MediaType;
            var mediaType = ManifestAccept.Contains(contentType) ? contentType! : (ManifestSniffer.MediaTypeOf(bytes) ?? MediaTypes.OciManifest);
            return new ManifestResult(bytes, new Descriptor(mediaType, actual, bytes.Length));
        }

        private static KapsuleException TooLarge(string target, long size)
            => new KapsuleException(RegistryErrorIds.ManifestTooLarge, KapsuleErrorKind.InvalidData,
                $"Manifest {target} is larger than the {Manifest.MaxBytes}-byte limit{(size > 0 ? $" ({size} bytes)" : "")}; it was refused.") { Target = target };

        /// <summary>The descriptor of a manifest without its body, or null when it does not exist.</summary>
        public async Task<Descriptor?> HeadManifestAsync(Reference reference, CancellationToken cancellationToken = default)
        {
            using var response = await SendAsync(reference.Registry, Scope(reference.Repository, false), b =>
            {
                var r = new HttpRequestMessage(HttpMethod.Head, Api(b, $"{reference.Repository}/manifests/{reference.ReferenceOrDigest}"));
                foreach (var a in ManifestAccept) r.Headers.Accept.ParseAdd(a);
                return r;
            }, true, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotFound) return null;
            if (!response.IsSuccessStatusCode) throw await FailureAsync(response, $"Manifest {reference}", reference.ToString()).ConfigureAwait(false);
            if (!response.Headers.TryGetValues("Docker-Content-Digest", out var values) || !Digest.TryParse(values.FirstOrDefault(), out var digest))
                return null;
            return new Descriptor(response.Content.Headers.ContentType?.MediaType ?? MediaTypes.OciManifest, digest, response.Content.Headers.ContentLength ?? 0);
        }

        /// <summary>Uploads a manifest under a tag or its digest; returns the digest the registry reports.</summary>
        public async Task<Digest> PutManifestAsync(Reference reference, byte[] bytes, string mediaType, CancellationToken cancellationToken = default,
            string algorithm = Digest.Sha256)
        {
            var target = reference.ToString();
            var digest = Digest.Compute(bytes, algorithm);
            using var response = await SendAsync(reference.Registry, Scope(reference.Repository, true), b =>
            {
                var r = new HttpRequestMessage(HttpMethod.Put, Api(b, $"{reference.Repository}/manifests/{reference.Tag ?? digest.ToString()}"))
                {
                    Content = new ByteArrayContent(bytes),
                };
                r.Content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
                return r;
            }, true, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode) throw await FailureAsync(response, $"Upload of manifest {target}", target).ConfigureAwait(false);
            if (response.Headers.TryGetValues("Docker-Content-Digest", out var values) &&
                Digest.TryParse(values.FirstOrDefault(), out var reported) && reported.Algorithm == digest.Algorithm && reported != digest)
                throw OciLayoutStore.Mismatch(digest, reported, $"of the manifest stored at {target}");
            return digest;
        }

        /// <summary>All tags of a repository, following the Link header's pages.</summary>
        public async Task<IReadOnlyList<string>> ListTagsAsync(string registry, string repository, int pageSize = 1000, CancellationToken cancellationToken = default)
        {
            var tags = new List<string>();
            string? next = $"{repository}/tags/list?n={pageSize}";
            int pages = 0;
            while (next != null && pages++ < 10_000)
            {
                var path = next;
                using var response = await SendAsync(registry, Scope(repository, false),
                    b => new HttpRequestMessage(HttpMethod.Get, path.StartsWith("/", StringComparison.Ordinal) ? new Uri(b, path) : Api(b, path)),
                    true, cancellationToken).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode) throw await FailureAsync(response, $"Tags of {registry}/{repository}", repository).ConfigureAwait(false);
                var body = await ReadLimitedAsync(response.Content, 16 * 1024 * 1024, cancellationToken).ConfigureAwait(false);
                using (var doc = System.Text.Json.JsonDocument.Parse(body))
                {
                    if (doc.RootElement.TryGetProperty("tags", out var t) && t.ValueKind == System.Text.Json.JsonValueKind.Array)
                        tags.AddRange(t.EnumerateArray().Select(x => x.GetString()).Where(x => x != null)!);
                }
                next = null;
                if (response.Headers.TryGetValues("Link", out var links))
                {
                    foreach (var link in links)
                    {
                        int lt = link.IndexOf('<'), gt = link.IndexOf('>');
                        if (lt >= 0 && gt > lt && link.IndexOf("rel=\"next\"", StringComparison.OrdinalIgnoreCase) > gt) next = link.Substring(lt + 1, gt - lt - 1);
                    }
                }
            }
            return tags;
        }

        // ------------------------------------------------------------------ blobs

        /// <summary>Size of a blob in the registry, or -1 when it is not there.</summary>
        public async Task<long> HeadBlobAsync(string registry, string repository, Digest digest, CancellationToken cancellationToken = default)
        {
            using var response = await SendAsync(registry, Scope(repository, false),
                b => new HttpRequestMessage(HttpMethod.Head, Api(b, $"{repository}/blobs/{digest}")), true, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotFound) return -1;
            if (!response.IsSuccessStatusCode) throw await FailureAsync(response, $"Blob {digest}", digest.ToString()).ConfigureAwait(false);
            return response.Content.Headers.ContentLength ?? -1;
        }

        /// <summary>
        /// Downloads a blob into the store's partial file, resuming with a Range request from what is already
        /// there (after a crash, a Ctrl+C or a dropped connection), hashing as it writes, and moving it into the
        /// store only when size and digest match.
        /// </summary>
        public async Task<Descriptor> PullBlobAsync(string registry, string repository, Descriptor blob, OciLayoutStore store,
            IProgress<long>? progress = null, CancellationToken cancellationToken = default)
        {
            if (store.BlobSize(blob.Digest) == blob.Size)
            {
                progress?.Report(blob.Size);
                return new Descriptor(blob.MediaType, blob.Digest, blob.Size);
            }
            using var partial = store.OpenPartial(blob.Digest, blob.Size);
            int failures = 0;
            while (!partial.IsComplete)
            {
                long from = partial.Length;
                if (from > 0) Log($"{blob.Digest}: resuming at byte {from} of {blob.Size}.");
                try
                {
                    using var response = await SendAsync(registry, Scope(repository, false), b =>
                    {
                        var r = new HttpRequestMessage(HttpMethod.Get, Api(b, $"{repository}/blobs/{blob.Digest}"));
                        if (from > 0) r.Headers.Range = new RangeHeaderValue(from, null);
                        return r;
                    }, true, cancellationToken).ConfigureAwait(false);

                    if (response.StatusCode == HttpStatusCode.PartialContent)
                    {
                        var range = response.Content.Headers.ContentRange;
                        if (range?.From != from || (range.Length.HasValue && range.Length.Value != blob.Size))
                        {
                            // Not the bytes asked for (or a multipart answer): keep what is on disk and ask again
                            // for the whole blob rather than splice something unknown onto it.
                            throw new IOException($"the registry answered a Range request for byte {from} with '{range?.ToString() ?? "no Content-Range"}'");
                        }
                    }
                    else if (response.StatusCode == HttpStatusCode.OK)
                    {
                        if (from > 0)
                        {
                            Log($"{blob.Digest}: the registry ignored the Range request; downloading from the start.");
                            partial.Reset();
                        }
                    }
                    else if ((int)response.StatusCode == 416 && from > 0)
                    {
                        // Nothing after the bytes we have: the blob is shorter than its descriptor says.
                        partial.Discard();
                        throw new KapsuleException(ErrorIds.SizeMismatch, KapsuleErrorKind.InvalidData,
                            $"Blob {blob.Digest} ends after {from} bytes, but its descriptor declares {blob.Size}; it was refused.") { Target = blob.Digest.ToString() };
                    }
                    else
                    {
                        throw await FailureAsync(response, $"Download of blob {blob.Digest}", blob.Digest.ToString()).ConfigureAwait(false);
                    }
                    using var body = new IdleTimeoutStream(await response.Content.ReadAsStreamAsync().ConfigureAwait(false), _options.IdleTimeout);
                    try
                    {
                        await partial.AppendAsync(body, progress, cancellationToken).ConfigureAwait(false);
                    }
                    catch (KapsuleException e) when (e.ErrorId == ErrorIds.SizeMismatch)
                    {
                        partial.Discard();
                        throw;
                    }
                    if (!partial.IsComplete) throw new IOException($"the connection closed after {partial.Length} of {blob.Size} bytes");
                }
                catch (Exception e) when (IsTransient(e, cancellationToken))
                {
                    // Progress resets the count: a flaky link that still moves data is not given up on.
                    failures = partial.Length > from ? 1 : failures + 1;
                    if (failures >= _options.MaxAttempts) throw Unreachable(registry, e, failures);
                    Log($"{blob.Digest}: {e.GetBaseException().Message}; resuming (attempt {failures + 1}).");
                    await DelayAsync(failures, null, cancellationToken).ConfigureAwait(false);
                }
            }
            return partial.Commit(blob.MediaType);
        }

        /// <summary>
        /// Uploads a blob unless the registry has it already or can mount it from <paramref name="mountFrom"/>.
        /// <paramref name="open"/> opens the content at a byte offset (for resumed chunked uploads).
        /// </summary>
        public async Task<BlobPushOutcome> PushBlobAsync(string registry, string repository, Descriptor blob,
            Func<long, Stream> open, string? mountFrom = null, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
        {
            if (await HeadBlobAsync(registry, repository, blob.Digest, cancellationToken).ConfigureAwait(false) == blob.Size)
            {
                Log($"{blob.Digest}: already in {registry}/{repository}; skipped.");
                progress?.Report(blob.Size);
                return BlobPushOutcome.Skipped;
            }

            var mode = _options.UploadMode;
            int failures = 0;
            while (true)
            {
                UploadSession session;
                try
                {
                    session = await StartUploadAsync(registry, repository, blob.Digest, mountFrom, cancellationToken).ConfigureAwait(false);
                    if (session.Mounted)
                    {
                        Log($"{blob.Digest}: mounted from {mountFrom}.");
                        progress?.Report(blob.Size);
                        return BlobPushOutcome.Mounted;
                    }
                    mountFrom = null; // a refused mount is not retried
                    if (mode == UploadMode.Chunked)
                    {
                        await ChunkedUploadAsync(registry, repository, blob, session, open, progress, cancellationToken).ConfigureAwait(false);
                        return BlobPushOutcome.Uploaded;
                    }
                    bool fallback;
                    try
                    {
                        fallback = await MonolithicUploadAsync(registry, repository, blob, session, open, progress, cancellationToken).ConfigureAwait(false);
                    }
                    catch (TimeoutException) when (mode == UploadMode.Auto && blob.Size > _options.ChunkSize)
                    {
                        // A single request that stalls can be retried in chunks that each survive on their own.
                        fallback = true;
                    }
                    if (!fallback) return BlobPushOutcome.Uploaded;
                    if (mode == UploadMode.Monolithic)
                        throw new KapsuleException(RegistryErrorIds.Unsupported, KapsuleErrorKind.ProtocolError,
                            $"{registry} refused a monolithic upload of {blob.Digest} ({blob.Size} bytes). Try -UploadMode Chunked.") { Target = blob.Digest.ToString() };
                    Log($"{blob.Digest}: {registry} refused the single-request upload; switching to chunked upload.");
                    mode = UploadMode.Chunked;
                }
                catch (Exception e) when (IsTransient(e, cancellationToken))
                {
                    failures++;
                    if (failures >= _options.MaxAttempts) throw Unreachable(registry, e, failures);
                    Log($"{blob.Digest}: upload failed ({e.GetBaseException().Message}); starting again (attempt {failures + 1}).");
                    await DelayAsync(failures, null, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        /// <summary>Bodies from this size on are sent with Expect: 100-continue.</summary>
        private const long ExpectContinueFrom = 1L << 20;

        /// <summary>The smallest chunk tried after a 413 (unless the registry demands a larger minimum).</summary>
        private const long MinChunkOnRefusal = 256L * 1024;

        private sealed class UploadSession
        {
            public Uri? Location;
            public long MinChunk;
            public bool Mounted;
        }

        private async Task<UploadSession> StartUploadAsync(string registry, string repository, Digest digest, string? mountFrom, CancellationToken cancellationToken)
        {
            string scope = Scope(repository, true) + (mountFrom != null ? " " + Scope(mountFrom, false) : string.Empty);
            string query = mountFrom != null ? $"?mount={Uri.EscapeDataString(digest.ToString())}&from={Uri.EscapeDataString(mountFrom)}" : string.Empty;
            using var response = await SendAsync(registry, scope,
                b => new HttpRequestMessage(HttpMethod.Post, Api(b, $"{repository}/blobs/uploads/{query}")) { Content = new ByteArrayContent(Array.Empty<byte>()) },
                true, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.Created && mountFrom != null) return new UploadSession { Mounted = true };
            if (response.StatusCode != HttpStatusCode.Accepted)
                throw await FailureAsync(response, $"Start of upload of {digest} to {registry}/{repository}", digest.ToString()).ConfigureAwait(false);
            var session = new UploadSession { Location = ResolveLocation(response, registry) };
            if (response.Headers.TryGetValues("OCI-Chunk-Min-Length", out var mins) && long.TryParse(mins.FirstOrDefault(), out var min)) session.MinChunk = min;
            return session;
        }

        private Uri ResolveLocation(HttpResponseMessage response, string registry)
        {
            var location = response.Headers.Location
                ?? throw new KapsuleException(RegistryErrorIds.RegistryError, KapsuleErrorKind.ProtocolError,
                    $"{registry} started an upload without a Location header.") { Target = registry };
            return location.IsAbsoluteUri ? location : new Uri(response.RequestMessage!.RequestUri!, location);
        }

        private static Uri WithDigest(Uri location, Digest digest)
        {
            var s = location.ToString();
            return new Uri(s + (s.IndexOf('?') >= 0 ? "&" : "?") + "digest=" + Uri.EscapeDataString(digest.ToString()));
        }

        /// <summary>One PUT with the whole blob. Returns true when the registry refuses it in a way chunks may fix.</summary>
        private async Task<bool> MonolithicUploadAsync(string registry, string repository, Descriptor blob, UploadSession session,
            Func<long, Stream> open, IProgress<long>? progress, CancellationToken cancellationToken)
        {
            using var response = await SendAsync(registry, Scope(repository, true), b =>
            {
                var content = new UploadContent(new ProgressStream(open(0), progress, 0));
                content.Headers.ContentLength = blob.Size;
                var r = new HttpRequestMessage(HttpMethod.Put, WithDigest(session.Location!, blob.Digest)) { Content = content };
                // Large bodies ask first: a registry (or a proxy in front of it) that refuses the size says so
                // before gigabytes are sent.
                if (blob.Size >= ExpectContinueFrom) r.Headers.ExpectContinue = true;
                return r;
            }, false, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.Created) return false;
            int s = (int)response.StatusCode;
            if (s == 413 || s == 405 || s == 501) return true;
            if (s == 429 || s >= 500) throw new IOException($"the registry answered {s} to the upload");
            throw await FailureAsync(response, $"Upload of blob {blob.Digest}", blob.Digest.ToString()).ConfigureAwait(false);
        }

        /// <summary>PATCH in chunks; after a failure, asks the registry how much it has and goes on from there.</summary>
        private async Task ChunkedUploadAsync(string registry, string repository, Descriptor blob, UploadSession session,
            Func<long, Stream> open, IProgress<long>? progress, CancellationToken cancellationToken)
        {
            long chunk = Math.Max(_options.ChunkSize, session.MinChunk);
            long offset = 0;
            int failures = 0;
            var location = session.Location!;
            while (offset < blob.Size)
            {
                long length = Math.Min(chunk, blob.Size - offset);
                long start = offset;
                try
                {
                    using var response = await SendAsync(registry, Scope(repository, true), b =>
                    {
                        var content = new UploadContent(new ProgressStream(new BoundedStream(open(start), length), progress, start));
                        content.Headers.ContentLength = length;
                        var r = new HttpRequestMessage(new HttpMethod("PATCH"), location) { Content = content };
                        r.Content.Headers.TryAddWithoutValidation("Content-Range", $"{start}-{start + length - 1}");
                        if (length >= ExpectContinueFrom) r.Headers.ExpectContinue = true;
                        return r;
                    }, false, cancellationToken).ConfigureAwait(false);
                    if ((int)response.StatusCode == 413 && length > Math.Max(session.MinChunk, MinChunkOnRefusal))
                    {
                        // A body limit in front of the registry: smaller chunks, from the same offset.
                        chunk = Math.Max(Math.Max(session.MinChunk, MinChunkOnRefusal), length / 2);
                        Log($"{blob.Digest}: a chunk of {length} bytes was refused as too large; trying chunks of {chunk} bytes.");
                        continue;
                    }
                    if (response.StatusCode != HttpStatusCode.Accepted)
                    {
                        if ((int)response.StatusCode == 416 || (int)response.StatusCode >= 500 || (int)response.StatusCode == 429)
                            throw new IOException($"the registry answered {(int)response.StatusCode} to a chunk");
                        throw await FailureAsync(response, $"Chunked upload of blob {blob.Digest}", blob.Digest.ToString()).ConfigureAwait(false);
                    }
                    location = ResolveLocation(response, registry);
                    offset = start + length;
                    failures = 0;
                }
                catch (Exception e) when (IsTransient(e, cancellationToken))
                {
                    failures++;
                    if (failures >= _options.MaxAttempts) throw Unreachable(registry, e, failures);
                    await DelayAsync(failures, null, cancellationToken).ConfigureAwait(false);
                    (long Offset, Uri? Location) status;
                    try
                    {
                        status = await UploadStatusAsync(registry, repository, location, cancellationToken).ConfigureAwait(false);
                    }
                    catch (KapsuleException lost)
                    {
                        // The registry dropped the session (BLOB_UPLOAD_UNKNOWN/INVALID): start a new one.
                        throw new IOException($"the upload session was lost ({lost.Message})", lost);
                    }
                    if (status.Location != null) location = status.Location;
                    offset = status.Offset;
                    Log($"{blob.Digest}: chunk failed ({e.GetBaseException().Message}); the registry has {offset} bytes, going on from there.");
                }
            }
            using var done = await SendAsync(registry, Scope(repository, true),
                b => new HttpRequestMessage(HttpMethod.Put, WithDigest(location, blob.Digest)) { Content = new ByteArrayContent(Array.Empty<byte>()) },
                true, cancellationToken).ConfigureAwait(false);
            if (done.StatusCode != HttpStatusCode.Created)
                throw await FailureAsync(done, $"Completion of upload of blob {blob.Digest}", blob.Digest.ToString()).ConfigureAwait(false);
        }

        private async Task<(long Offset, Uri? Location)> UploadStatusAsync(string registry, string repository, Uri location, CancellationToken cancellationToken)
        {
            using var response = await SendAsync(registry, Scope(repository, true), b => new HttpRequestMessage(HttpMethod.Get, location), true, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.NoContent && !response.IsSuccessStatusCode)
                throw await FailureAsync(response, "Upload status", registry).ConfigureAwait(false);
            long offset = 0;
            if (response.Headers.TryGetValues("Range", out var ranges))
            {
                var r = ranges.FirstOrDefault() ?? string.Empty;
                int dash = r.LastIndexOf('-');
                // "0-N" is the last byte index held; "0-0" is what distribution says for an empty session too, and
                // chunks are never one byte long, so it means nothing was received.
                if (dash >= 0 && long.TryParse(r.Substring(dash + 1), out var end) && end > 0) offset = end + 1;
            }
            return (offset, response.Headers.Location == null ? null : ResolveLocation(response, registry));
        }

        public void Dispose() => _http.Dispose();
    }
}
