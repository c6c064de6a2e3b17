using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Kapsule.Oci;

namespace Kapsule.Registry
{
    /// <summary>
    /// Basic and Bearer (token) authentication for registries (distribution's token auth spec): answers a
    /// challenge, caches tokens per registry and scope until shortly before they expire, and applies them to
    /// later requests so most requests need no 401 round trip. Credentials are looked up once per registry
    /// and never go over plain HTTP to a non-loopback host unless AllowInsecure.
    /// </summary>
    internal sealed class RegistryAuthenticator
    {
        private sealed class State
        {
            public string? BasicHeader;
            public AuthChallenge? Bearer;
            /// <summary>One token request at a time per registry: concurrent transfers wait and share it.</summary>
            public readonly SemaphoreSlim Gate = new SemaphoreSlim(1, 1);
            public readonly ConcurrentDictionary<string, (string Token, DateTime Expires)> Tokens =
                new ConcurrentDictionary<string, (string, DateTime)>(StringComparer.Ordinal);
        }

        private readonly RegistryClientOptions _options;
        private readonly HttpClient _http;
        private readonly Action<string> _log;
        private readonly ConcurrentDictionary<string, State> _states = new ConcurrentDictionary<string, State>(StringComparer.OrdinalIgnoreCase);
        private readonly ConcurrentDictionary<string, Task<RegistryCredential?>> _credentials =
            new ConcurrentDictionary<string, Task<RegistryCredential?>>(StringComparer.OrdinalIgnoreCase);

        public RegistryAuthenticator(RegistryClientOptions options, HttpClient http, Action<string> log)
        {
            _options = options;
            _http = http;
            _log = log;
        }

        private Task<RegistryCredential?> CredentialAsync(string registry, CancellationToken cancellationToken)
        {
            if (_options.Credentials == null) return Task.FromResult<RegistryCredential?>(null);
            return _credentials.GetOrAdd(registry, r => _options.Credentials.GetAsync(r, cancellationToken));
        }

        /// <summary>Adds what the registry asked for last time (Basic header or a cached or new token).</summary>
        public async Task ApplyAsync(HttpRequestMessage request, string registry, Uri baseUri, string? scope, CancellationToken cancellationToken)
        {
            if (!_states.TryGetValue(registry, out var state)) return;
            // Only to the registry itself: an upload Location may name another host or drop to plain HTTP.
            var target = request.RequestUri;
            if (target == null || target.Scheme != baseUri.Scheme || !string.Equals(target.Authority, baseUri.Authority, StringComparison.OrdinalIgnoreCase)) return;
            if (state.BasicHeader != null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic", state.BasicHeader);
                return;
            }
            if (state.Bearer != null)
            {
                var token = await TokenAsync(state, registry, baseUri, scope ?? string.Empty, false, cancellationToken).ConfigureAwait(false);
                if (token != null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }
        }

        /// <summary>Answers a 401. Returns true when the request is worth sending again.</summary>
        /// <param name="sentAuthorization">The Authorization header the refused request carried, if any: when
        /// another request has meanwhile obtained a newer credential, the request is simply sent again with it.</param>
        public async Task<bool> AuthenticateAsync(string registry, Uri baseUri, string? scope, IReadOnlyList<AuthChallenge> challenges,
            string? sentAuthorization, CancellationToken cancellationToken)
        {
            var state = _states.GetOrAdd(registry, _ => new State());
            var bearer = challenges.FirstOrDefault(c => c.IsBearer && !string.IsNullOrEmpty(c.Realm));
            if (bearer != null)
            {
                state.Bearer = bearer;
                var wanted = MergeScopes(scope, bearer.Scope);
                await state.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    // Another request may have fetched a token while this one waited: use it unless it is the one refused.
                    bool fresh = state.Tokens.TryGetValue(wanted, out var current) && current.Expires > DateTime.UtcNow &&
                                 sentAuthorization != "Bearer " + current.Token;
                    if (!fresh && await FetchTokenAsync(state, registry, wanted, cancellationToken).ConfigureAwait(false) == null) return false;
                    if (wanted != (scope ?? string.Empty)) state.Tokens[scope ?? string.Empty] = state.Tokens[wanted];
                    return true;
                }
                finally
                {
                    state.Gate.Release();
                }
            }
            var basic = challenges.FirstOrDefault(c => c.IsBasic);
            if (basic != null)
            {
                if (state.BasicHeader != null)
                {
                    // Refused with the header we have: the credentials are wrong. Sent without it (a request that
                    // raced the first challenge): send again with it.
                    return sentAuthorization != "Basic " + state.BasicHeader;
                }
                var credential = await CredentialAsync(registry, cancellationToken).ConfigureAwait(false);
                if (credential == null || string.IsNullOrEmpty(credential.UserName)) return false;
                EnsureSafeToSend(baseUri, registry);
                _log($"{registry}: Basic authentication as '{credential.UserName}' ({credential.Source}).");
                state.BasicHeader = Convert.ToBase64String(Encoding.UTF8.GetBytes(credential.UserName + ":" + credential.Password));
                return true;
            }
            return false;
        }

        /// <summary>
        /// Joins two scope lists ("repository:team/model:pull,push ..."), merging the actions asked for one resource,
        /// in a fixed order, so "push,pull" and "pull,push" (the registry's order varies) are one scope and one token.
        /// </summary>
        internal static string MergeScopes(string? a, string? b)
        {
            var resources = new List<string>();
            var actions = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            foreach (var s in new[] { a, b })
            {
                if (string.IsNullOrEmpty(s)) continue;
                foreach (var part in s!.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries))
                {
                    int colon = part.LastIndexOf(':');
                    string resource = colon > 0 ? part.Substring(0, colon) : part;
                    if (!actions.TryGetValue(resource, out var list))
                    {
                        actions[resource] = list = new List<string>();
                        resources.Add(resource);
                    }
                    if (colon > 0)
                    {
                        foreach (var action in part.Substring(colon + 1).Split(','))
                            if (action.Length > 0 && !list.Contains(action)) list.Add(action);
                    }
                }
            }
            return string.Join(" ", resources.Select(r =>
            {
                var list = actions[r];
                if (list.Count == 0) return r;
                list.Sort((x, y) => Rank(x) != Rank(y) ? Rank(x).CompareTo(Rank(y)) : string.CompareOrdinal(x, y));
                return r + ":" + string.Join(",", list);
            }));
        }

        private static int Rank(string action) => action == "pull" ? 0 : action == "push" ? 1 : 2;

        private void EnsureSafeToSend(Uri target, string registry)
        {
            if (target.Scheme == Uri.UriSchemeHttps || _options.AllowInsecure || IsLoopbackHost(target)) return;
            throw new KapsuleException(RegistryErrorIds.InsecureCredentials, KapsuleErrorKind.SecurityError,
                $"Refusing to send credentials for {registry} over plain HTTP to {target.Authority}. Use HTTPS, or -AllowInsecure if this network is trusted.")
            { Target = registry };
        }

        private static bool IsLoopbackHost(Uri uri)
        {
            if (string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase)) return true;
            return IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip);
        }

        private async Task<string?> TokenAsync(State state, string registry, Uri baseUri, string scope, bool forceNew, CancellationToken cancellationToken)
        {
            if (!forceNew && state.Tokens.TryGetValue(scope, out var cached) && cached.Expires > DateTime.UtcNow) return cached.Token;
            await state.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (!forceNew && state.Tokens.TryGetValue(scope, out cached) && cached.Expires > DateTime.UtcNow) return cached.Token;
                return await FetchTokenAsync(state, registry, scope, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                state.Gate.Release();
            }
        }

        private async Task<HttpResponseMessage> SendTokenRequestAsync(HttpRequestMessage request, string registry, Uri realm,
            CancellationToken timeout, CancellationToken cancellationToken)
        {
            try
            {
                return await _http.SendAsync(request, timeout).ConfigureAwait(false);
            }
            catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"The token service of {registry} ({realm.Authority}) did not answer in time.", e);
            }
        }

        private async Task<string?> FetchTokenAsync(State state, string registry, string scope, CancellationToken cancellationToken)
        {
            var challenge = state.Bearer!;
            var credential = await CredentialAsync(registry, cancellationToken).ConfigureAwait(false);
            if (credential?.RegistryToken is string ready && ready.Length > 0)
            {
                state.Tokens[scope] = (ready, DateTime.UtcNow.AddMinutes(5));
                return ready;
            }

            if (!Uri.TryCreate(challenge.Realm, UriKind.Absolute, out var realm) || (realm.Scheme != Uri.UriSchemeHttps && realm.Scheme != Uri.UriSchemeHttp))
                throw new KapsuleException(RegistryErrorIds.RegistryError, KapsuleErrorKind.ProtocolError,
                    $"{registry} asked for a token from an invalid realm '{challenge.Realm}'.") { Target = registry };
            bool hasSecret = credential != null && !credential.IsEmpty;
            if (hasSecret) EnsureSafeToSend(realm, registry);

            var scopes = scope.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
            HttpRequestMessage request;
            if (!string.IsNullOrEmpty(credential?.IdentityToken))
            {
                var form = new List<KeyValuePair<string, string>>
                {
                    new KeyValuePair<string, string>("grant_type", "refresh_token"),
                    new KeyValuePair<string, string>("refresh_token", credential!.IdentityToken!),
                    new KeyValuePair<string, string>("client_id", "kapsule"),
                };
                if (challenge.Service != null) form.Add(new KeyValuePair<string, string>("service", challenge.Service));
                if (scopes.Length > 0) form.Add(new KeyValuePair<string, string>("scope", string.Join(" ", scopes)));
                request = new HttpRequestMessage(HttpMethod.Post, realm) { Content = new FormUrlEncodedContent(form) };
            }
            else
            {
                var query = new StringBuilder();
                void Add(string k, string v) => query.Append(query.Length == 0 ? "" : "&").Append(k).Append('=').Append(Uri.EscapeDataString(v));
                if (challenge.Service != null) Add("service", challenge.Service);
                foreach (var s in scopes) Add("scope", s);
                if (!string.IsNullOrEmpty(credential?.UserName)) Add("account", credential!.UserName!);
                var url = realm.ToString() + (realm.Query.Length > 0 ? "&" : "?") + query;
                request = new HttpRequestMessage(HttpMethod.Get, url);
                if (!string.IsNullOrEmpty(credential?.UserName))
                {
                    request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
                        Convert.ToBase64String(Encoding.UTF8.GetBytes(credential!.UserName + ":" + credential.Password)));
                }
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.IdleTimeout < TimeSpan.FromMinutes(1) ? _options.IdleTimeout : TimeSpan.FromMinutes(1));
            using (request)
            using (var response = await SendTokenRequestAsync(request, registry, realm, timeout.Token, cancellationToken).ConfigureAwait(false))
            {
                if (response.Content.Headers.ContentLength > 1024 * 1024)
                    throw new KapsuleException(RegistryErrorIds.RegistryError, KapsuleErrorKind.ProtocolError,
                        $"The token service of {registry} sent an answer over 1 MiB; it was refused.") { Target = registry };
                var body = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.Unauthorized || response.StatusCode == HttpStatusCode.Forbidden)
                {
                    throw new KapsuleException(RegistryErrorIds.AuthenticationFailed, KapsuleErrorKind.AuthenticationError,
                        hasSecret
                            ? $"The token service of {registry} ({realm.Authority}) refused the credentials ({(int)response.StatusCode}). Check the user name and password, or log in again with Connect-KapsuleRegistry."
                            : $"{registry} needs credentials ({(int)response.StatusCode} from its token service). Pass -Credential or log in with Connect-KapsuleRegistry.")
                    { Target = registry };
                }
                if (!response.IsSuccessStatusCode)
                    throw RegistryErrors.FromResponse(response.StatusCode, body, $"Token request to {realm.Authority} for {registry}", registry);
                string? token = null;
                int expiresIn = 60;
                try
                {
                    using var doc = JsonDocument.Parse(body);
                    var root = doc.RootElement;
                    if (root.TryGetProperty("token", out var t) && t.ValueKind == JsonValueKind.String) token = t.GetString();
                    if (string.IsNullOrEmpty(token) && root.TryGetProperty("access_token", out var at) && at.ValueKind == JsonValueKind.String) token = at.GetString();
                    if (root.TryGetProperty("expires_in", out var e) && e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out var secs)) expiresIn = Math.Max(secs, 60);
                }
                catch (JsonException)
                {
                }
                if (string.IsNullOrEmpty(token))
                    throw new KapsuleException(RegistryErrorIds.RegistryError, KapsuleErrorKind.ProtocolError,
                        $"The token service of {registry} answered without a token.") { Target = registry };
                _log($"{registry}: token for '{(scope.Length > 0 ? scope : "(no scope)")}' valid {expiresIn} s.");
                // Renew 30 s early so a long transfer does not start on a token about to lapse.
                state.Tokens[scope] = (token!, DateTime.UtcNow.AddSeconds(Math.Max(expiresIn - 30, 10)));
                return token;
            }
        }
    }
}
