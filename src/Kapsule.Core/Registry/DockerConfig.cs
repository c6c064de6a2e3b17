using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;

namespace Kapsule.Registry
{
    /// <summary>
    /// Reads registry logins the way docker and podman do, and writes them the way <c>docker login</c>
    /// and <c>docker logout</c> do.
    /// </summary>
    /// <remarks>
    /// <para><b>Files, in the order they are searched</b> (the first file that yields a credential wins;
    /// this is podman's order, containers/image <c>getAuthFilePaths</c>, and docker's file comes last):</para>
    /// <list type="number">
    /// <item><c>$REGISTRY_AUTH_FILE</c> when set, else <c>$XDG_RUNTIME_DIR/containers/auth.json</c> when
    /// <c>XDG_RUNTIME_DIR</c> is set;</item>
    /// <item><c>$XDG_CONFIG_HOME/containers/auth.json</c> (<c>~/.config/containers/auth.json</c>), which podman
    /// also always reads;</item>
    /// <item>docker's <c>$DOCKER_CONFIG/config.json</c>, else <c>~/.docker/config.json</c>.</item>
    /// </list>
    /// <para><b>Within one file:</b> a <c>credHelpers</c> entry for the registry wins; then, in docker's
    /// file only, <c>credsStore</c> (podman ignores it); when a helper applies its answer is final for that
    /// file, as in docker (a helper that holds nothing moves the search to the next file). Otherwise the
    /// <c>auths</c> entry: the key may be a bare <c>host[:port]</c> or a URL (<c>https://host/v2/</c>); scheme
    /// and path are ignored, the exact key is preferred, and <c>docker.io</c>, <c>index.docker.io</c>,
    /// <c>registry-1.docker.io</c> and <c>https://index.docker.io/v1/</c> all name Docker Hub. In the
    /// containers files a key with a path and no scheme (<c>quay.io/team</c>) is scoped to that namespace,
    /// so it is not used for the whole registry. In an entry, <c>auth</c> (base64 of <c>user:password</c>,
    /// split at the first colon) wins over <c>username</c>/<c>password</c>; <c>identitytoken</c> and
    /// <c>registrytoken</c> are passed on. An entry with no secret at all (the <c>{}</c> docker leaves
    /// next to a helper) counts as absent.</para>
    /// <para><b>Writing</b> (<see cref="StoreAsync"/>, <see cref="EraseAsync"/>) touches docker's file only, as
    /// <c>docker login</c>/<c>logout</c> do: the helper named by <c>credHelpers</c>/<c>credsStore</c> when one
    /// applies, else <c>auths[key].auth</c>. Docker Hub's key is <c>https://index.docker.io/v1/</c>, any other
    /// registry's is its <c>host[:port]</c>. Every other field of the file is kept, the file is replaced
    /// atomically and is readable by its owner only (0600) on Unix.</para>
    /// <para>One instance remembers each registry's answer (helpers are programs, and a transfer asks
    /// often); <see cref="StoreAsync"/> and <see cref="EraseAsync"/> forget it. Create a new instance to see
    /// changes made by other programs.</para>
    /// </remarks>
    public sealed class DockerConfigCredentialProvider : ICredentialProvider
    {
        /// <summary>The key Docker Hub's login is stored under by docker.</summary>
        public const string DockerHubServerKey = "https://index.docker.io/v1/";

        private const string DockerHub = "docker.io";

        private static readonly string[] SecretFields = { "auth", "username", "password", "identitytoken", "registrytoken" };

        private static readonly Regex RegistryPattern = new Regex(
            @"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:]+\])(?::[0-9]{1,5})?\z",
            RegexOptions.CultureInvariant);

        private readonly ConcurrentDictionary<string, RegistryCredential?> _cache =
            new ConcurrentDictionary<string, RegistryCredential?>(StringComparer.Ordinal);

        /// <summary>Uses the files the environment names (see the class remarks).</summary>
        public DockerConfigCredentialProvider()
            : this(null, null)
        {
        }

        /// <param name="dockerConfigPath">docker's config.json; null means <see cref="DefaultDockerConfigPath"/>.</param>
        /// <param name="containersAuthPaths">containers auth.json files, searched first and in this order; null
        /// means <see cref="DefaultContainersAuthPaths"/>, empty means none.</param>
        public DockerConfigCredentialProvider(string? dockerConfigPath, IEnumerable<string>? containersAuthPaths = null)
        {
            DockerConfigPath = Path.GetFullPath(dockerConfigPath ?? DefaultDockerConfigPath());
            ContainersAuthPaths = (containersAuthPaths ?? DefaultContainersAuthPaths())
                .Where(p => !string.IsNullOrEmpty(p))
                .Select(Path.GetFullPath)
                .Where(p => !SamePath(p, DockerConfigPath))
                .Distinct(PathComparer)
                .ToList();
        }

        /// <summary>docker's config.json, the file <see cref="StoreAsync"/> and <see cref="EraseAsync"/> write.</summary>
        public string DockerConfigPath { get; }

        /// <summary>The containers auth.json files read before docker's file, in order.</summary>
        public IReadOnlyList<string> ContainersAuthPaths { get; }

        /// <summary>How long a credential helper may run before it is stopped.</summary>
        public TimeSpan HelperTimeout { get; set; } = TimeSpan.FromSeconds(30);

        /// <summary><c>$DOCKER_CONFIG/config.json</c>, else <c>~/.docker/config.json</c>.</summary>
        public static string DefaultDockerConfigPath()
        {
            var dir = Environment.GetEnvironmentVariable("DOCKER_CONFIG");
            if (!string.IsNullOrEmpty(dir)) return Path.Combine(dir, "config.json");
            return Path.Combine(HomeDirectory(), ".docker", "config.json");
        }

        /// <summary>
        /// <c>$REGISTRY_AUTH_FILE</c>, else <c>$XDG_RUNTIME_DIR/containers/auth.json</c> (when that variable is
        /// set); then <c>$XDG_CONFIG_HOME/containers/auth.json</c>, else <c>~/.config/containers/auth.json</c>.
        /// </summary>
        public static IReadOnlyList<string> DefaultContainersAuthPaths()
        {
            var paths = new List<string>();
            var authFile = Environment.GetEnvironmentVariable("REGISTRY_AUTH_FILE");
            var runtimeDir = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
            if (!string.IsNullOrEmpty(authFile)) paths.Add(authFile!);
            else if (!string.IsNullOrEmpty(runtimeDir)) paths.Add(Path.Combine(runtimeDir, "containers", "auth.json"));
            var configHome = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
            if (string.IsNullOrEmpty(configHome)) configHome = Path.Combine(HomeDirectory(), ".config");
            paths.Add(Path.Combine(configHome, "containers", "auth.json"));
            return paths;
        }

        /// <summary>
        /// The registry part of a login target in the form Kapsule compares: lowercase <c>host[:port]</c> with any
        /// scheme and path removed, and every Docker Hub spelling as <c>docker.io</c>.
        /// </summary>
        /// <exception cref="KapsuleException"><see cref="ErrorIds.InvalidRegistry"/> when it is not a host name.</exception>
        public static string NormalizeRegistry(string registry)
        {
            var host = HostOfKey(registry ?? "");
            if (!RegistryPattern.IsMatch(host))
            {
                throw new KapsuleException(ErrorIds.InvalidRegistry, KapsuleErrorKind.InvalidArgument,
                    $"'{registry}' is not a registry host. Give a host name with an optional port, such as 'ghcr.io' or 'localhost:5000'.")
                { Target = registry };
            }
            return host;
        }

        /// <summary>The key docker stores a registry's login under: Docker Hub's URL, else the host.</summary>
        public static string ServerKey(string registry)
        {
            var host = NormalizeRegistry(registry);
            return host == DockerHub ? DockerHubServerKey : host;
        }

        /// <inheritdoc />
        public async Task<RegistryCredential?> GetAsync(string registry, CancellationToken cancellationToken)
        {
            var host = NormalizeRegistry(registry);
            if (_cache.TryGetValue(host, out var cached)) return cached;
            RegistryCredential? found = null;
            foreach (var path in ContainersAuthPaths.Concat(new[] { DockerConfigPath }))
            {
                var file = AuthFile.Load(path, isDocker: SamePath(path, DockerConfigPath));
                if (file == null) continue;
                found = await file.FindAsync(host, HelperTimeout, cancellationToken).ConfigureAwait(false);
                if (found != null) break;
            }
            _cache[host] = found;
            return found;
        }

        /// <summary>Where a login for <paramref name="registry"/> would be stored: a helper program's name or docker's config file.</summary>
        public string DescribeStore(string registry)
        {
            var host = NormalizeRegistry(registry);
            var helper = AuthFile.Load(DockerConfigPath, isDocker: true)?.HelperFor(host, HelperTimeout);
            return helper?.ProgramName ?? DockerConfigPath;
        }

        /// <summary>
        /// Stores a login as <c>docker login</c> does: through the credential helper that applies to the registry,
        /// else as <c>auths[key].auth</c> in docker's config file (other fields kept; stale secrets of that entry removed).
        /// </summary>
        public async Task<RegistryLogin> StoreAsync(string registry, string userName, string password, CancellationToken cancellationToken)
        {
            var host = NormalizeRegistry(registry);
            if (string.IsNullOrEmpty(userName) || userName.IndexOf(':') >= 0)
            {
                throw new KapsuleException(ErrorIds.InvalidCredential, KapsuleErrorKind.InvalidArgument,
                    "The user name must not be empty and must not contain ':' (registries use HTTP Basic, where ':' ends the user name).")
                { Target = registry };
            }
            if (string.IsNullOrEmpty(password))
            {
                throw new KapsuleException(ErrorIds.InvalidCredential, KapsuleErrorKind.InvalidArgument,
                    $"The password for '{userName}' is empty.")
                { Target = registry };
            }

            var key = host == DockerHub ? DockerHubServerKey : host;
            var root = ReadForUpdate(DockerConfigPath);
            var helper = AuthFile.Load(DockerConfigPath, isDocker: true)?.HelperFor(host, HelperTimeout);
            string store;
            bool changed;
            if (helper != null)
            {
                await helper.StoreAsync(key, userName, password, cancellationToken).ConfigureAwait(false);
                // docker keeps a secret-free auths entry next to the helper (it marks the login).
                changed = SetEntry(root, key, null);
                store = helper.ProgramName;
            }
            else
            {
                changed = SetEntry(root, key, Convert.ToBase64String(Encoding.UTF8.GetBytes(userName + ":" + password)));
                store = DockerConfigPath;
            }
            if (changed)
            {
                cancellationToken.ThrowIfCancellationRequested();
                WriteAtomically(DockerConfigPath, root);
            }
            _cache.TryRemove(host, out _);
            return new RegistryLogin(host, userName, store);
        }

        /// <summary>
        /// Removes a login as <c>docker logout</c> does: from the helper that applies (under Docker Hub's or the
        /// host's key and any key in <c>auths</c> that names the registry) and every matching <c>auths</c> entry.
        /// </summary>
        /// <returns>False when there was no login to remove.</returns>
        public async Task<bool> EraseAsync(string registry, CancellationToken cancellationToken)
        {
            var host = NormalizeRegistry(registry);
            _cache.TryRemove(host, out _);
            var file = AuthFile.Load(DockerConfigPath, isDocker: true);
            if (file == null) return false;
            var root = ReadForUpdate(DockerConfigPath);
            var keys = new List<string>();
            if (root["auths"] is JsonObject auths)
            {
                keys.AddRange(auths.Select(p => p.Key).Where(k => HostOfKey(k) == host));
            }

            bool removed = false;
            var helper = file.HelperFor(host, HelperTimeout);
            if (helper != null)
            {
                var serverUrls = new List<string> { host == DockerHub ? DockerHubServerKey : host };
                serverUrls.AddRange(keys);
                foreach (var url in serverUrls.Distinct(StringComparer.Ordinal))
                {
                    if (await helper.EraseAsync(url, cancellationToken).ConfigureAwait(false)) removed = true;
                }
            }
            if (keys.Count > 0)
            {
                var authsObject = (JsonObject)root["auths"]!;
                foreach (var k in keys) authsObject.Remove(k);
                cancellationToken.ThrowIfCancellationRequested();
                WriteAtomically(DockerConfigPath, root);
                removed = true;
            }
            _cache.TryRemove(host, out _);
            return removed;
        }

        /// <summary>Synchronous <see cref="StoreAsync"/>.</summary>
        public RegistryLogin Store(string registry, string userName, string password)
            => StoreAsync(registry, userName, password, CancellationToken.None).GetAwaiter().GetResult();

        /// <summary>Synchronous <see cref="EraseAsync"/>.</summary>
        public bool Erase(string registry)
            => EraseAsync(registry, CancellationToken.None).GetAwaiter().GetResult();

        // ---- keys and paths ---------------------------------------------------------------------------

        /// <summary>docker's ConvertToHostname, lowercased, with every Docker Hub spelling as docker.io.</summary>
        internal static string HostOfKey(string key)
        {
            var s = key.Trim();
            if (s.StartsWith("https://", StringComparison.OrdinalIgnoreCase)) s = s.Substring("https://".Length);
            else if (s.StartsWith("http://", StringComparison.OrdinalIgnoreCase)) s = s.Substring("http://".Length);
            int slash = s.IndexOf('/');
            if (slash >= 0) s = s.Substring(0, slash);
            s = s.ToLowerInvariant();
            return s == "index.docker.io" || s == "registry-1.docker.io" ? DockerHub : s;
        }

        /// <summary>A containers auth.json key with a path and no scheme names a namespace, not a registry.</summary>
        internal static bool IsNamespaceKey(string key)
            => key.IndexOf("://", StringComparison.Ordinal) < 0 && key.Trim().TrimEnd('/').IndexOf('/') >= 0;

        private static string HomeDirectory()
        {
            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            if (string.IsNullOrEmpty(home)) home = Environment.GetEnvironmentVariable("HOME") ?? "";
            return home;
        }

        private static StringComparer PathComparer => RuntimeInformation.IsOSPlatform(OSPlatform.Windows)
            ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;

        private static bool SamePath(string a, string b) => PathComparer.Equals(a, b);

        // ---- reading ----------------------------------------------------------------------------------

        internal static KapsuleException Invalid(string path, string what, Exception? inner = null)
            => new KapsuleException(ErrorIds.CredentialConfigInvalid, KapsuleErrorKind.InvalidData,
                $"The registry credentials file '{path}' is not valid: {what}. Fix or remove it, then log in again.", inner)
            { Target = path };

        /// <summary>The file's bytes without a UTF-8 BOM, or null when it does not exist.</summary>
        private static byte[]? ReadBytes(string path)
        {
            byte[] bytes;
            try
            {
                bytes = File.ReadAllBytes(path);
            }
            catch (FileNotFoundException) { return null; }
            catch (DirectoryNotFoundException) { return null; }
            if (bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF)
            {
                bytes = bytes.Skip(3).ToArray();
            }
            return bytes;
        }

        private static bool IsBlank(byte[] bytes) => bytes.All(b => b == ' ' || b == '\t' || b == '\r' || b == '\n');

        private static string Position(JsonException e)
            => e.LineNumber is long line ? $" (line {line + 1}, byte {e.BytePositionInLine + 1})" : "";

        /// <summary>One credentials file, parsed (auths, credHelpers and, for docker's file, credsStore).</summary>
        private sealed class AuthFile
        {
            private readonly List<KeyValuePair<string, JsonElement>> _auths = new List<KeyValuePair<string, JsonElement>>();
            private readonly List<KeyValuePair<string, string>> _helpers = new List<KeyValuePair<string, string>>();
            private string? _credsStore;

            private AuthFile(string path, bool isDocker)
            {
                Path = path;
                IsDocker = isDocker;
            }

            public string Path { get; }
            public bool IsDocker { get; }

            public static AuthFile? Load(string path, bool isDocker)
            {
                var bytes = ReadBytes(path);
                if (bytes == null) return null;
                var file = new AuthFile(path, isDocker);
                if (IsBlank(bytes)) return file;
                try
                {
                    using var doc = JsonDocument.Parse(bytes);
                    var root = doc.RootElement;
                    if (root.ValueKind != JsonValueKind.Object) throw Invalid(path, "the top level is not a JSON object");
                    if (root.TryGetProperty("auths", out var auths) && auths.ValueKind != JsonValueKind.Null)
                    {
                        if (auths.ValueKind != JsonValueKind.Object) throw Invalid(path, "\"auths\" is not an object");
                        foreach (var p in auths.EnumerateObject())
                        {
                            if (p.Value.ValueKind == JsonValueKind.Null) continue;
                            if (p.Value.ValueKind != JsonValueKind.Object) throw Invalid(path, $"auths[\"{p.Name}\"] is not an object");
                            foreach (var field in SecretFields)
                            {
                                if (p.Value.TryGetProperty(field, out var v) && v.ValueKind != JsonValueKind.String && v.ValueKind != JsonValueKind.Null)
                                    throw Invalid(path, $"auths[\"{p.Name}\"].{field} is not a string");
                            }
                            file._auths.Add(new KeyValuePair<string, JsonElement>(p.Name, p.Value.Clone()));
                        }
                    }
                    if (root.TryGetProperty("credHelpers", out var helpers) && helpers.ValueKind != JsonValueKind.Null)
                    {
                        if (helpers.ValueKind != JsonValueKind.Object) throw Invalid(path, "\"credHelpers\" is not an object");
                        foreach (var p in helpers.EnumerateObject())
                        {
                            if (p.Value.ValueKind != JsonValueKind.String) throw Invalid(path, $"credHelpers[\"{p.Name}\"] is not a string");
                            file._helpers.Add(new KeyValuePair<string, string>(p.Name, p.Value.GetString()!));
                        }
                    }
                    if (isDocker && root.TryGetProperty("credsStore", out var store) && store.ValueKind != JsonValueKind.Null)
                    {
                        if (store.ValueKind != JsonValueKind.String) throw Invalid(path, "\"credsStore\" is not a string");
                        file._credsStore = store.GetString();
                    }
                }
                catch (JsonException e)
                {
                    // The parser's message can quote the text around the error, which may be a secret: give the position only.
                    throw Invalid(path, "it is not well-formed JSON" + Position(e));
                }
                return file;
            }

            /// <summary>Entries whose key names <paramref name="host"/>, the best first: docker's own key, the bare host, then the rest in file order.</summary>
            private IEnumerable<KeyValuePair<string, TValue>> Matching<TValue>(List<KeyValuePair<string, TValue>> entries, string host)
            {
                var preferred = host == DockerHub ? DockerHubServerKey : host;
                var matches = entries.Where(e => HostOfKey(e.Key) == host && (IsDocker || !IsNamespaceKey(e.Key))).ToList();
                var seen = new HashSet<string>(StringComparer.Ordinal);
                return matches.Where(e => e.Key == preferred)
                    .Concat(matches.Where(e => string.Equals(e.Key, host, StringComparison.OrdinalIgnoreCase)))
                    .Concat(matches)
                    .Where(e => seen.Add(e.Key))
                    .ToList();
            }

            public CredentialHelper? HelperFor(string host, TimeSpan timeout)
            {
                foreach (var h in Matching(_helpers, host))
                {
                    if (string.IsNullOrEmpty(h.Value)) continue;
                    return NewHelper(h.Value, $"credHelpers[\"{h.Key}\"] in '{Path}'", timeout);
                }
                if (!string.IsNullOrEmpty(_credsStore))
                {
                    return NewHelper(_credsStore!, $"\"credsStore\": \"{_credsStore}\" in '{Path}'", timeout);
                }
                return null;
            }

            private CredentialHelper NewHelper(string name, string configuredBy, TimeSpan timeout)
            {
                if (name.IndexOfAny(new[] { '/', '\\' }) >= 0 || name.Trim().Length == 0)
                    throw Invalid(Path, $"the credential helper name '{name}' ({configuredBy}) is not a plain name");
                return new CredentialHelper(name, configuredBy, Path, timeout);
            }

            public async Task<RegistryCredential?> FindAsync(string host, TimeSpan timeout, CancellationToken cancellationToken)
            {
                var helper = HelperFor(host, timeout);
                if (helper != null)
                {
                    var urls = new List<string> { host == DockerHub ? DockerHubServerKey : host };
                    urls.AddRange(Matching(_auths, host).Select(e => e.Key));
                    foreach (var url in urls.Distinct(StringComparer.Ordinal))
                    {
                        var c = await helper.GetAsync(url, cancellationToken).ConfigureAwait(false);
                        if (c != null) return c;
                    }
                    return null;
                }
                foreach (var entry in Matching(_auths, host))
                {
                    var c = ToCredential(entry.Key, entry.Value);
                    if (c != null) return c;
                }
                return null;
            }

            private RegistryCredential? ToCredential(string key, JsonElement entry)
            {
                string? Field(string name) => entry.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
                var user = Field("username");
                var password = Field("password");
                var auth = Field("auth");
                if (!string.IsNullOrEmpty(auth))
                {
                    string decoded;
                    try
                    {
                        decoded = new UTF8Encoding(false, true).GetString(Convert.FromBase64String(auth!.Trim()));
                    }
                    catch (Exception e) when (e is FormatException || e is ArgumentException)
                    {
                        throw Invalid(Path, $"auths[\"{key}\"].auth is not base64");
                    }
                    int colon = decoded.IndexOf(':');
                    if (colon < 0) throw Invalid(Path, $"auths[\"{key}\"].auth is not base64 of 'user:password'");
                    user = decoded.Substring(0, colon);
                    password = decoded.Substring(colon + 1);
                }
                var credential = new RegistryCredential(
                    string.IsNullOrEmpty(user) ? null : user,
                    string.IsNullOrEmpty(password) ? null : password,
                    NullIfEmpty(Field("identitytoken")),
                    NullIfEmpty(Field("registrytoken")));
                if (credential.IsEmpty) return null;
                credential.Source = $"auths[\"{key}\"] in '{Path}'";
                return credential;
            }

            private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
        }

        // ---- writing ----------------------------------------------------------------------------------

        private static JsonObject ReadForUpdate(string path)
        {
            var bytes = ReadBytes(path);
            if (bytes == null || IsBlank(bytes)) return new JsonObject();
            JsonNode? node;
            try
            {
                node = JsonNode.Parse(bytes);
                if (node is JsonObject o)
                {
                    // Touch every object once so a duplicate key fails here, not halfway through an update.
                    _ = o.Count;
                    if (o["auths"] is JsonObject a) _ = a.Count;
                }
            }
            catch (JsonException e)
            {
                throw Invalid(path, "it is not well-formed JSON" + Position(e));
            }
            catch (ArgumentException)
            {
                throw Invalid(path, "an object has the same key twice");
            }
            if (node is not JsonObject root) throw Invalid(path, "the top level is not a JSON object");
            if (root["auths"] is JsonNode auths && auths is not JsonObject) throw Invalid(path, "\"auths\" is not an object");
            return root;
        }

        /// <summary>Sets auths[key] to hold <paramref name="auth"/> (or no secret when null); false when nothing changed.</summary>
        private static bool SetEntry(JsonObject root, string key, string? auth)
        {
            if (root["auths"] is not JsonObject auths)
            {
                auths = new JsonObject();
                root["auths"] = auths;
            }
            bool created = false;
            if (auths[key] is not JsonObject entry)
            {
                entry = new JsonObject();
                auths[key] = entry;
                created = true;
            }
            var before = entry.ToJsonString();
            foreach (var field in SecretFields) entry.Remove(field);
            if (auth != null) entry["auth"] = auth;
            return created || entry.ToJsonString() != before;
        }

        private static readonly JsonSerializerOptions WriteOptions = new JsonSerializerOptions
        {
            WriteIndented = true,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };

        /// <summary>Writes <paramref name="root"/> to a temp file that only the owner can read, then renames it over <paramref name="path"/>.</summary>
        private static void WriteAtomically(string path, JsonObject root)
        {
            var dir = Path.GetDirectoryName(path)!;
            var temp = Path.Combine(dir, "." + Path.GetFileName(path) + "." + Guid.NewGuid().ToString("N").Substring(0, 12) + ".tmp");
            try
            {
                if (!Directory.Exists(dir))
                {
                    Directory.CreateDirectory(dir);
                    SetUnixMode(dir, 0x1C0 /* 0700, as docker creates it */);
                }
                // Restrict the mode while the file is still empty, so the secrets are never readable by others.
                using (new FileStream(temp, FileMode.CreateNew, FileAccess.Write)) { }
                SetUnixMode(temp, 0x180 /* 0600 */);
                var bytes = Encoding.UTF8.GetBytes(root.ToJsonString(WriteOptions) + "\n");
                using (var fs = new FileStream(temp, FileMode.Truncate, FileAccess.Write))
                {
                    fs.Write(bytes, 0, bytes.Length);
                    fs.Flush(true);
                }
                if (File.Exists(path)) File.Replace(temp, path, null);
                else File.Move(temp, path);
            }
            catch (IOException e)
            {
                throw new KapsuleException(ErrorIds.CredentialStoreFailed, KapsuleErrorKind.ResourceUnavailable,
                    $"Could not write the registry credentials file '{path}': {e.Message}", e)
                { Target = path };
            }
            catch (UnauthorizedAccessException e)
            {
                throw new KapsuleException(ErrorIds.CredentialStoreFailed, KapsuleErrorKind.PermissionDenied,
                    $"Could not write the registry credentials file '{path}': {e.Message}", e)
                { Target = path };
            }
            finally
            {
                try { if (File.Exists(temp)) File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
        }

        /// <summary>chmod on Unix, nothing on Windows: File.SetUnixFileMode when the runtime has it (.NET 7+), else the chmod program.</summary>
        internal static void SetUnixMode(string path, int mode)
        {
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows)) return;
            var modeType = typeof(File).Assembly.GetType("System.IO.UnixFileMode");
            var setMode = modeType == null ? null
                : typeof(File).GetMethod("SetUnixFileMode", BindingFlags.Public | BindingFlags.Static, null, new[] { typeof(string), modeType }, null);
            if (setMode != null)
            {
                try
                {
                    setMode.Invoke(null, new[] { path, Enum.ToObject(modeType!, mode) });
                    return;
                }
                catch (TargetInvocationException e) when (e.InnerException != null)
                {
                    throw new IOException($"Could not set the permissions of '{path}': {e.InnerException.Message}", e.InnerException);
                }
            }
            var psi = new ProcessStartInfo("chmod", Convert.ToString(mode, 8) + " \"" + path.Replace("\"", "\\\"") + "\"")
            {
                UseShellExecute = false,
                CreateNoWindow = true,
                RedirectStandardError = true,
            };
            try
            {
                using var chmod = Process.Start(psi)!;
                var err = chmod.StandardError.ReadToEnd();
                chmod.WaitForExit();
                if (chmod.ExitCode != 0) throw new IOException($"chmod {Convert.ToString(mode, 8)} '{path}' failed: {err.Trim()}");
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                throw new IOException($"Could not run chmod to restrict '{path}': {e.Message}", e);
            }
        }
    }

    /// <summary>A stored registry login, as Connect-KapsuleRegistry reports it (never the secret).</summary>
    public sealed class RegistryLogin
    {
        public RegistryLogin(string registry, string userName, string store)
        {
            Registry = registry;
            UserName = userName;
            Store = store;
        }

        /// <summary>The registry, <c>host[:port]</c> (<c>docker.io</c> for Docker Hub).</summary>
        public string Registry { get; }
        public string UserName { get; }
        /// <summary>Where the secret went: docker's config file, or the <c>docker-credential-*</c> helper.</summary>
        public string Store { get; }

        public override string ToString() => $"{UserName}@{Registry} ({Store})";
    }
}
