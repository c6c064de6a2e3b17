using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using Kapsule.Registry;
using Xunit;

namespace Kapsule.Tests.Registry
{
    /// <summary>Tests that change process-wide environment variables (PATH, DOCKER_CONFIG, ...) run one at a time.</summary>
    [CollectionDefinition("Environment", DisableParallelization = true)]
    public sealed class EnvironmentCollection
    {
    }

    [Collection("Environment")]
    public sealed class DockerConfigTests : IDisposable
    {
        private const string HelperName = "kapsuletest";

        private static readonly string[] EnvironmentNames =
            { "PATH", "DOCKER_CONFIG", "REGISTRY_AUTH_FILE", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME" };

        // A docker-credential-helpers protocol helper: secrets in secrets.tsv next to it, every call logged
        // (action and server URL, never the secret) in calls.log; a file named "slow" makes it hang, and the
        // server URL "fail.example" makes it fail with a message that is not "not found".
        private const string HelperScript = @"#!/bin/sh
dir=$(cd ""$(dirname ""$0"")"" && pwd)
db=""$dir/secrets.tsv""
touch ""$db""
input=$(cat)
if [ -f ""$dir/slow"" ]; then sleep 60; fi
field() { printf '%s' ""$input"" | sed -n ""s/.*\""$1\"":\""\([^\""]*\)\"".*/\1/p""; }
notfound() { echo 'credentials not found in native keychain'; exit 1; }
case ""$1"" in
  get)
    echo ""get $input"" >> ""$dir/calls.log""
    [ ""$input"" = fail.example ] && { echo 'the keychain is on fire'; exit 3; }
    line=$(awk -F '\t' -v u=""$input"" '$1 == u { print; exit }' ""$db"")
    [ -n ""$line"" ] || notfound
    user=$(printf '%s' ""$line"" | cut -f2)
    secret=$(printf '%s' ""$line"" | cut -f3)
    printf '{""ServerURL"":""%s"",""Username"":""%s"",""Secret"":""%s""}\n' ""$input"" ""$user"" ""$secret""
    ;;
  store)
    url=$(field ServerURL); user=$(field Username); secret=$(field Secret)
    echo ""store $url"" >> ""$dir/calls.log""
    [ -n ""$url"" ] || { echo 'no credentials server URL'; exit 1; }
    awk -F '\t' -v u=""$url"" '$1 != u' ""$db"" > ""$db.tmp"" && mv ""$db.tmp"" ""$db""
    printf '%s\t%s\t%s\n' ""$url"" ""$user"" ""$secret"" >> ""$db""
    ;;
  erase)
    echo ""erase $input"" >> ""$dir/calls.log""
    awk -F '\t' -v u=""$input"" '$1 == u { found = 1 } END { exit !found }' ""$db"" || notfound
    awk -F '\t' -v u=""$input"" '$1 != u' ""$db"" > ""$db.tmp"" && mv ""$db.tmp"" ""$db""
    ;;
  list)
    awk -F '\t' 'BEGIN { printf ""{"" } { printf ""%s\""%s\"":\""%s\"""", (NR > 1 ? "","" : """"), $1, $2 } END { print ""}"" }' ""$db""
    ;;
  *) echo ""unknown action: $1""; exit 1 ;;
esac
";

        private readonly Dictionary<string, string?> _savedEnvironment = new Dictionary<string, string?>();
        private readonly string _root;
        private readonly string _bin;
        private readonly string _dockerConfig;

        public DockerConfigTests()
        {
            foreach (var name in EnvironmentNames) _savedEnvironment[name] = Environment.GetEnvironmentVariable(name);
            _root = Path.Combine(Path.GetTempPath(), "kapsule-creds-" + Guid.NewGuid().ToString("N"));
            _bin = Path.Combine(_root, "bin");
            Directory.CreateDirectory(_bin);
            _dockerConfig = Path.Combine(_root, "docker", "config.json");
            var script = Path.Combine(_bin, "docker-credential-" + HelperName);
            File.WriteAllText(script, HelperScript.Replace("\r\n", "\n"));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
            Environment.SetEnvironmentVariable("PATH", _bin + Path.PathSeparator + _savedEnvironment["PATH"]);
        }

        public void Dispose()
        {
            foreach (var kv in _savedEnvironment) Environment.SetEnvironmentVariable(kv.Key, kv.Value);
            try { Directory.Delete(_root, true); } catch (IOException) { }
        }

        // ---- helpers ----------------------------------------------------------------------------------

        private static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s));

        private string WriteFile(string relative, string json)
        {
            var path = Path.Combine(_root, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, json);
            return path;
        }

        private string Auths(params (string Key, string User, string Password)[] entries)
            => "{\"auths\":{" + string.Join(",", entries.Select(e => $"\"{e.Key}\":{{\"auth\":\"{B64(e.User + ":" + e.Password)}\"}}")) + "}}";

        /// <summary>A provider over docker's file only (no containers auth.json).</summary>
        private DockerConfigCredentialProvider DockerOnly(string json)
        {
            WriteFile("docker/config.json", json);
            return new DockerConfigCredentialProvider(_dockerConfig, Array.Empty<string>());
        }

        private static RegistryCredential? Get(ICredentialProvider p, string registry)
            => p.GetAsync(registry, CancellationToken.None).GetAwaiter().GetResult();

        private string[] HelperCalls()
        {
            var log = Path.Combine(_bin, "calls.log");
            return File.Exists(log) ? File.ReadAllLines(log) : Array.Empty<string>();
        }

        private string[] HelperSecrets()
        {
            var db = Path.Combine(_bin, "secrets.tsv");
            return File.Exists(db) ? File.ReadAllLines(db).Where(l => l.Length > 0).ToArray() : Array.Empty<string>();
        }

        private JsonObject ReadDockerConfig() => (JsonObject)JsonNode.Parse(File.ReadAllText(_dockerConfig))!;

        // ---- auths --------------------------------------------------------------------------------------

        [Fact]
        public void Finds_a_bare_host_key()
        {
            var p = DockerOnly(Auths(("ghcr.io", "alice", "s3cret"), ("localhost:5000", "bob", "pw2")));
            var c = Get(p, "ghcr.io")!;
            Assert.Equal("alice", c.UserName);
            Assert.Equal("s3cret", c.Password);
            Assert.Null(c.IdentityToken);
            Assert.Equal("bob", Get(p, "localhost:5000")!.UserName);
            Assert.Null(Get(p, "localhost:5001"));
            Assert.Null(Get(p, "quay.io"));
        }

        [Theory]
        [InlineData("http://localhost:5000/v2/", "localhost:5000")]
        [InlineData("https://localhost:5000", "localhost:5000")]
        [InlineData("https://Registry.Example.com/v1/", "registry.example.com")]
        [InlineData("registry.example.com/v2/", "REGISTRY.example.com")]
        public void Finds_a_url_key_by_its_host(string key, string registry)
        {
            var p = DockerOnly(Auths((key, "carol", "pw")));
            Assert.Equal("carol", Get(p, registry)!.UserName);
        }

        [Theory]
        [InlineData("https://index.docker.io/v1/")]
        [InlineData("index.docker.io")]
        [InlineData("docker.io")]
        [InlineData("https://registry-1.docker.io/v2/")]
        public void Every_docker_hub_spelling_is_one_registry(string key)
        {
            var p = DockerOnly(Auths((key, "hubuser", "hubpw")));
            foreach (var registry in new[] { "docker.io", "index.docker.io", "registry-1.docker.io", "https://index.docker.io/v1/" })
            {
                Assert.Equal("hubuser", Get(p, registry)?.UserName);
            }
            Assert.Null(Get(p, "ghcr.io"));
        }

        [Fact]
        public void Prefers_dockers_own_key_over_other_spellings()
        {
            var p = DockerOnly(Auths(("docker.io", "a", "1"), ("https://index.docker.io/v1/", "b", "2"),
                ("https://ghcr.io/v2/", "c", "3"), ("ghcr.io", "d", "4")));
            Assert.Equal("b", Get(p, "docker.io")!.UserName);
            Assert.Equal("d", Get(p, "ghcr.io")!.UserName);
        }

        [Fact]
        public void Splits_auth_at_the_first_colon()
        {
            var p = DockerOnly(Auths(("ghcr.io", "bob", "pa:ss:w0rd:")));
            var c = Get(p, "ghcr.io")!;
            Assert.Equal("bob", c.UserName);
            Assert.Equal("pa:ss:w0rd:", c.Password);
        }

        [Fact]
        public void Reads_username_and_password_fields_and_auth_wins_over_them()
        {
            var p = DockerOnly("{\"auths\":{\"a.io\":{\"username\":\"u1\",\"password\":\"p1\"}," +
                $"\"b.io\":{{\"username\":\"ignored\",\"password\":\"ignored\",\"auth\":\"{B64("u2:p2")}\"}}}}}}");
            var a = Get(p, "a.io")!;
            Assert.Equal(("u1", "p1"), (a.UserName, a.Password));
            var b = Get(p, "b.io")!;
            Assert.Equal(("u2", "p2"), (b.UserName, b.Password));
        }

        [Fact]
        public void Reads_identity_and_registry_tokens()
        {
            var p = DockerOnly("{\"auths\":{" +
                $"\"acr.example.io\":{{\"auth\":\"{B64("00000000-0000-0000-0000-000000000000:")}\",\"identitytoken\":\"refresh-123\"}}," +
                "\"tok.example.io\":{\"registrytoken\":\"bearer-456\"}}}");
            var a = Get(p, "acr.example.io")!;
            Assert.Equal("refresh-123", a.IdentityToken);
            Assert.Equal("00000000-0000-0000-0000-000000000000", a.UserName);
            Assert.Null(a.Password);
            var t = Get(p, "tok.example.io")!;
            Assert.Equal("bearer-456", t.RegistryToken);
            Assert.Null(t.UserName);
            Assert.DoesNotContain("refresh-123", a.ToString());
            Assert.DoesNotContain("refresh-123", a.Source);
        }

        [Fact]
        public void An_entry_without_a_secret_a_missing_file_and_an_empty_file_mean_anonymous()
        {
            var p = DockerOnly("{\"auths\":{\"ghcr.io\":{},\"quay.io\":{\"email\":\"x@example.com\"}}}");
            Assert.Null(Get(p, "ghcr.io"));
            Assert.Null(Get(p, "quay.io"));
            Assert.Null(Get(new DockerConfigCredentialProvider(Path.Combine(_root, "none", "config.json"), Array.Empty<string>()), "ghcr.io"));
            Assert.Null(Get(DockerOnly("  \n"), "ghcr.io"));
        }

        // ---- precedence across files -------------------------------------------------------------------

        [Fact]
        public void Searches_registry_auth_file_then_containers_auth_then_docker_config()
        {
            var authFile = WriteFile("custom/auth.json", Auths(("a.io", "from-REGISTRY_AUTH_FILE", "1")));
            var containers = WriteFile("config/containers/auth.json", Auths(("a.io", "from-containers", "2"), ("b.io", "from-containers", "2")));
            WriteFile("docker/config.json", Auths(("a.io", "from-docker", "3"), ("b.io", "from-docker", "3"), ("c.io", "from-docker", "3")));
            var p = new DockerConfigCredentialProvider(_dockerConfig, new[] { authFile, containers });
            Assert.Equal("from-REGISTRY_AUTH_FILE", Get(p, "a.io")!.UserName);
            Assert.Equal("from-containers", Get(p, "b.io")!.UserName);
            Assert.Equal("from-docker", Get(p, "c.io")!.UserName);
            Assert.Contains(authFile, Get(p, "a.io")!.Source);
        }

        [Fact]
        public void Default_locations_come_from_the_environment()
        {
            var authFile = WriteFile("custom/auth.json", Auths(("a.io", "from-REGISTRY_AUTH_FILE", "1")));
            WriteFile("run/containers/auth.json", Auths(("a.io", "from-runtime", "2"), ("b.io", "from-runtime", "2")));
            WriteFile("xdg/containers/auth.json", Auths(("a.io", "from-config", "3"), ("b.io", "from-config", "3"), ("c.io", "from-config", "3")));
            WriteFile("dockercfg/config.json", Auths(("c.io", "from-docker", "4"), ("d.io", "from-docker", "4")));
            Environment.SetEnvironmentVariable("DOCKER_CONFIG", Path.Combine(_root, "dockercfg"));
            Environment.SetEnvironmentVariable("XDG_RUNTIME_DIR", Path.Combine(_root, "run"));
            Environment.SetEnvironmentVariable("XDG_CONFIG_HOME", Path.Combine(_root, "xdg"));
            Environment.SetEnvironmentVariable("REGISTRY_AUTH_FILE", authFile);

            Assert.Equal(Path.Combine(_root, "dockercfg", "config.json"), DockerConfigCredentialProvider.DefaultDockerConfigPath());
            Assert.Equal(new[] { authFile, Path.Combine(_root, "xdg", "containers", "auth.json") },
                DockerConfigCredentialProvider.DefaultContainersAuthPaths());
            var p = new DockerConfigCredentialProvider();
            Assert.Equal("from-REGISTRY_AUTH_FILE", Get(p, "a.io")!.UserName);
            Assert.Equal("from-config", Get(p, "b.io")!.UserName); // REGISTRY_AUTH_FILE replaces the runtime file
            Assert.Equal("from-config", Get(p, "c.io")!.UserName);
            Assert.Equal("from-docker", Get(p, "d.io")!.UserName);

            Environment.SetEnvironmentVariable("REGISTRY_AUTH_FILE", null);
            p = new DockerConfigCredentialProvider();
            Assert.Equal("from-runtime", Get(p, "a.io")!.UserName);
            Assert.Equal("from-runtime", Get(p, "b.io")!.UserName);
        }

        [Fact]
        public void A_namespace_key_counts_for_the_registry_in_docker_config_only()
        {
            var containers = WriteFile("containers/auth.json", Auths(("quay.io/team", "scoped", "1")));
            WriteFile("docker/config.json", Auths(("registry.example.com/team", "docker-style", "2")));
            var p = new DockerConfigCredentialProvider(_dockerConfig, new[] { containers });
            Assert.Null(Get(p, "quay.io"));
            Assert.Equal("docker-style", Get(p, "registry.example.com")!.UserName);
        }

        // ---- credential helpers ------------------------------------------------------------------------

        [Fact]
        public void Gets_from_a_real_helper_and_knows_not_found()
        {
            var p = DockerOnly($"{{\"credsStore\":\"{HelperName}\",\"auths\":{{\"ghcr.io\":{{\"auth\":\"{B64("file:ignored")}\"}}}}}}");
            Assert.Null(Get(p, "ghcr.io")); // the helper holds nothing: docker does not fall back to auths
            Assert.Contains("get ghcr.io", HelperCalls());

            File.WriteAllText(Path.Combine(_bin, "secrets.tsv"), "ghcr.io\thelperuser\thelper-secret\n");
            p = new DockerConfigCredentialProvider(_dockerConfig, Array.Empty<string>());
            var c = Get(p, "ghcr.io")!;
            Assert.Equal(("helperuser", "helper-secret"), (c.UserName, c.Password));
            Assert.Contains("docker-credential-" + HelperName, c.Source);
            Assert.DoesNotContain("helper-secret", c.ToString());
        }

        [Fact]
        public void A_helper_returning_the_token_user_name_gives_an_identity_token()
        {
            File.WriteAllText(Path.Combine(_bin, "secrets.tsv"), "https://index.docker.io/v1/\t<token>\trefresh-xyz\n");
            var p = DockerOnly($"{{\"credsStore\":\"{HelperName}\"}}");
            var c = Get(p, "docker.io")!;
            Assert.Equal("refresh-xyz", c.IdentityToken);
            Assert.Null(c.UserName);
            Assert.Null(c.Password);
            Assert.Contains("get https://index.docker.io/v1/", HelperCalls());
        }

        [Fact]
        public void CredHelpers_wins_over_credsStore_and_auths()
        {
            File.WriteAllText(Path.Combine(_bin, "secrets.tsv"), "ghcr.io\tfromhelper\tx\n");
            var p = DockerOnly("{\"credsStore\":\"kapsule-no-such-store\",\"credHelpers\":{\"ghcr.io\":\"" + HelperName + "\"}," +
                $"\"auths\":{{\"ghcr.io\":{{\"auth\":\"{B64("fromfile:y")}\"}}}}}}");
            Assert.Equal("fromhelper", Get(p, "ghcr.io")!.UserName);
            var e = Assert.Throws<KapsuleException>(() => Get(p, "quay.io"));
            Assert.Equal(ErrorIds.CredentialHelperFailed, e.ErrorId);
            Assert.Contains("docker-credential-kapsule-no-such-store", e.Message);
        }

        [Fact]
        public void A_missing_helper_is_a_clear_error()
        {
            var p = DockerOnly("{\"credsStore\":\"kapsule-no-such-helper\"}");
            var e = Assert.Throws<KapsuleException>(() => Get(p, "ghcr.io"));
            Assert.Equal(ErrorIds.CredentialHelperFailed, e.ErrorId);
            Assert.Contains("'docker-credential-kapsule-no-such-helper' is not on PATH", e.Message);
            Assert.Contains("\"credsStore\"", e.Message);
            Assert.Contains(_dockerConfig, e.Message);
            Assert.Equal(KapsuleErrorKind.ResourceUnavailable, e.Kind);
        }

        [Fact]
        public void A_failing_helper_reports_what_it_said()
        {
            var p = DockerOnly($"{{\"credsStore\":\"{HelperName}\"}}");
            var e = Assert.Throws<KapsuleException>(() => Get(p, "fail.example"));
            Assert.Equal(ErrorIds.CredentialHelperFailed, e.ErrorId);
            Assert.Contains("exit code 3", e.Message);
            Assert.Contains("the keychain is on fire", e.Message);
        }

        [Fact]
        public async Task A_hanging_helper_times_out_and_cancellation_stops_it()
        {
            var p = DockerOnly($"{{\"credsStore\":\"{HelperName}\"}}");
            File.WriteAllText(Path.Combine(_bin, "slow"), "");
            p.HelperTimeout = TimeSpan.FromSeconds(1);
            var clock = Stopwatch.StartNew();
            var e = await Assert.ThrowsAsync<KapsuleException>(() => p.GetAsync("ghcr.io", CancellationToken.None));
            Assert.Equal(ErrorIds.CredentialHelperFailed, e.ErrorId);
            Assert.Contains("did not finish within 1 s", e.Message);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"took {clock.Elapsed}");

            p.HelperTimeout = TimeSpan.FromSeconds(60);
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
            clock.Restart();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => p.GetAsync("quay.io", cts.Token));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"took {clock.Elapsed}");
        }

        [Fact]
        public void Store_and_Erase_go_through_the_helper_like_docker_login_and_logout()
        {
            var p = DockerOnly($"{{\"credsStore\":\"{HelperName}\",\"currentContext\":\"default\"}}");
            var login = p.Store("ghcr.io", "alice", "helper-pw");
            Assert.Equal(("ghcr.io", "alice", "docker-credential-" + HelperName), (login.Registry, login.UserName, login.Store));
            var hub = p.Store("index.docker.io", "hubber", "hub-pw");
            Assert.Equal("docker.io", hub.Registry);
            Assert.Equal(new[] { "ghcr.io\talice\thelper-pw", "https://index.docker.io/v1/\thubber\thub-pw" }, HelperSecrets());
            Assert.Equal(new[] { "store ghcr.io", "store https://index.docker.io/v1/" }, HelperCalls());

            // config.json keeps its fields and gets docker's secret-free marker entries.
            var text = File.ReadAllText(_dockerConfig);
            Assert.DoesNotContain("helper-pw", text);
            Assert.DoesNotContain(B64("alice:helper-pw"), text);
            var cfg = ReadDockerConfig();
            Assert.Equal("default", (string?)cfg["currentContext"]);
            Assert.Equal(HelperName, (string?)cfg["credsStore"]);
            Assert.Empty((JsonObject)cfg["auths"]!["ghcr.io"]!);
            Assert.Empty((JsonObject)cfg["auths"]!["https://index.docker.io/v1/"]!);

            Assert.Equal("alice", Get(p, "ghcr.io")!.UserName);
            Assert.Equal("hub-pw", Get(new DockerConfigCredentialProvider(_dockerConfig, Array.Empty<string>()), "docker.io")!.Password);

            Assert.True(p.Erase("ghcr.io"));
            Assert.Contains("erase ghcr.io", HelperCalls());
            Assert.Equal(new[] { "https://index.docker.io/v1/\thubber\thub-pw" }, HelperSecrets());
            Assert.Null(ReadDockerConfig()["auths"]!["ghcr.io"]);
            Assert.Null(Get(p, "ghcr.io"));
            Assert.False(p.Erase("ghcr.io"));
            Assert.True(p.Erase("docker.io"));
            Assert.Empty(HelperSecrets());
        }

        // ---- writing config.json -----------------------------------------------------------------------

        [Fact]
        public void Store_writes_auth_and_keeps_every_other_field()
        {
            const string original = @"{
  ""auths"": {
    ""other.io"": { ""auth"": ""b3RoZXI6b3RoZXJwdw=="", ""email"": ""o@example.com"" },
    ""ghcr.io"": { ""identitytoken"": ""stale-token"", ""email"": ""me@example.com"", ""x-custom"": [1, 2] }
  },
  ""HttpHeaders"": { ""User-Agent"": ""Docker-Client/25 (linux)"" },
  ""psFormat"": ""table {{.ID}}"",
  ""plugins"": { ""buildx"": { ""enabled"": true, ""depth"": { ""n"": 1.5e3 } } },
  ""currentContext"": ""rootless""
}";
            var p = DockerOnly(original);
            var login = p.Store("GHCR.io", "alice", "p:a ss+/=");
            Assert.Equal(_dockerConfig, login.Store);

            var before = (JsonObject)JsonNode.Parse(original)!;
            var after = ReadDockerConfig();
            foreach (var field in new[] { "HttpHeaders", "psFormat", "plugins", "currentContext" })
            {
                Assert.True(JsonNode.DeepEquals(before[field], after[field]), field);
            }
            Assert.True(JsonNode.DeepEquals(before["auths"]!["other.io"], after["auths"]!["other.io"]));
            var entry = (JsonObject)after["auths"]!["ghcr.io"]!;
            Assert.Equal("alice:p:a ss+/=", Encoding.UTF8.GetString(Convert.FromBase64String((string)entry["auth"]!)));
            Assert.Null(entry["identitytoken"]); // a stale token would win over the new password
            Assert.Equal("me@example.com", (string?)entry["email"]);
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse("[1,2]"), entry["x-custom"]));

            var c = Get(new DockerConfigCredentialProvider(_dockerConfig, Array.Empty<string>()), "ghcr.io")!;
            Assert.Equal(("alice", "p:a ss+/="), (c.UserName, c.Password));
            Assert.Single(Directory.GetFiles(Path.GetDirectoryName(_dockerConfig)!)); // no temp file left behind
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_dockerConfig));
            }
        }

        [Fact]
        public void Store_creates_the_file_with_dockers_hub_key_and_Erase_removes_every_spelling()
        {
            var p = new DockerConfigCredentialProvider(_dockerConfig, Array.Empty<string>());
            Assert.False(p.Erase("ghcr.io"));
            p.Store("docker.io", "hubber", "hubpw");
            p.Store("https://localhost:5000/v2/", "local", "localpw");
            var auths = (JsonObject)ReadDockerConfig()["auths"]!;
            Assert.Equal(new[] { "https://index.docker.io/v1/", "localhost:5000" }, auths.Select(kv => kv.Key).ToArray());
            Assert.Equal(B64("hubber:hubpw"), (string?)auths["https://index.docker.io/v1/"]!["auth"]);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_dockerConfig));
            }

            // Older docker versions wrote URL keys; logout removes them too and leaves other registries alone.
            WriteFile("docker/config.json", Auths(("https://localhost:5000/v2/", "a", "1"), ("localhost:5000", "b", "2"),
                ("localhost:5001", "c", "3"), ("https://index.docker.io/v1/", "d", "4")));
            Assert.True(p.Erase("localhost:5000"));
            auths = (JsonObject)ReadDockerConfig()["auths"]!;
            Assert.Equal(new[] { "localhost:5001", "https://index.docker.io/v1/" }, auths.Select(kv => kv.Key).ToArray());
            Assert.Null(Get(p, "localhost:5000"));
            Assert.False(p.Erase("localhost:5000"));
            Assert.True(p.Erase("index.docker.io"));
            Assert.Equal(new[] { "localhost:5001" }, ((JsonObject)ReadDockerConfig()["auths"]!).Select(kv => kv.Key).ToArray());
        }

        [Fact]
        public void Store_rejects_a_user_name_with_a_colon_and_an_empty_password()
        {
            var p = new DockerConfigCredentialProvider(_dockerConfig, Array.Empty<string>());
            Assert.Equal(ErrorIds.InvalidCredential, Assert.Throws<KapsuleException>(() => p.Store("ghcr.io", "a:b", "pw")).ErrorId);
            Assert.Equal(ErrorIds.InvalidCredential, Assert.Throws<KapsuleException>(() => p.Store("ghcr.io", "a", "")).ErrorId);
            Assert.Equal(ErrorIds.InvalidRegistry, Assert.Throws<KapsuleException>(() => p.Store("not a host", "a", "b")).ErrorId);
            Assert.False(File.Exists(_dockerConfig));
        }

        // ---- malformed files ---------------------------------------------------------------------------

        [Theory]
        [InlineData("{\"auths\": {\"ghcr.io\": {\"auth\": \"TOPSECRETVALUE\"}}")]
        [InlineData("{\"auths\": {\"ghcr.io\": {\"auth\": \"TOPSECRETVALUE\"}}}}")]
        [InlineData("{\"auths\": {\"ghcr.io\": {\"auth\": TOPSECRETVALUE}}}")]
        [InlineData("[\"TOPSECRETVALUE\"]")]
        [InlineData("{\"auths\": [\"TOPSECRETVALUE\"]}")]
        [InlineData("{\"auths\": {\"ghcr.io\": {\"auth\": \"!!TOPSECRETVALUE!!\"}}}")]
        [InlineData("{\"auths\": {\"ghcr.io\": {\"auth\": \"VE9QU0VDUkVUVkFMVUU=\"}}}")] // base64 without a colon
        public void A_malformed_file_is_an_error_naming_the_file_but_not_the_secret(string json)
        {
            var p = DockerOnly(json);
            var e = Assert.Throws<KapsuleException>(() => Get(p, "ghcr.io"));
            Assert.Equal(ErrorIds.CredentialConfigInvalid, e.ErrorId);
            Assert.Equal(KapsuleErrorKind.InvalidData, e.Kind);
            Assert.Contains(_dockerConfig, e.Message);
            Assert.DoesNotContain("TOPSECRET", e.ToString());
            Assert.DoesNotContain("VE9QU0VDUkVUVkFMVUU", e.ToString());
        }

        [Fact]
        public void Store_refuses_to_overwrite_a_malformed_file()
        {
            const string broken = "{\"auths\": {\"other.io\": {\"auth\": \"keepme\"}";
            var p = DockerOnly(broken);
            var e = Assert.Throws<KapsuleException>(() => p.Store("ghcr.io", "alice", "pw"));
            Assert.Equal(ErrorIds.CredentialConfigInvalid, e.ErrorId);
            Assert.Equal(broken, File.ReadAllText(_dockerConfig));
            Assert.Equal(ErrorIds.CredentialConfigInvalid, Assert.Throws<KapsuleException>(() => p.Erase("other.io")).ErrorId);
        }

        [Fact]
        public void A_malformed_containers_auth_file_is_named_in_the_error()
        {
            var containers = WriteFile("containers/auth.json", "{ not json");
            WriteFile("docker/config.json", Auths(("ghcr.io", "a", "b")));
            var p = new DockerConfigCredentialProvider(_dockerConfig, new[] { containers });
            var e = Assert.Throws<KapsuleException>(() => Get(p, "ghcr.io"));
            Assert.Equal(ErrorIds.CredentialConfigInvalid, e.ErrorId);
            Assert.Contains(containers, e.Message);
        }

        [Theory]
        [InlineData("ghcr.io", "ghcr.io")]
        [InlineData("https://GHCR.io/v2/", "ghcr.io")]
        [InlineData("localhost:5000", "localhost:5000")]
        [InlineData("[::1]:5000", "[::1]:5000")]
        [InlineData("index.docker.io", "docker.io")]
        [InlineData("https://index.docker.io/v1/", "docker.io")]
        public void Normalizes_registry_names(string input, string expected)
        {
            Assert.Equal(expected, DockerConfigCredentialProvider.NormalizeRegistry(input));
            Assert.Equal(expected == "docker.io" ? "https://index.docker.io/v1/" : expected, DockerConfigCredentialProvider.ServerKey(input));
        }

        [Theory]
        [InlineData("")]
        [InlineData("ghcr io")]
        [InlineData("host:port")]
        [InlineData("-bad.io")]
        public void Rejects_what_is_not_a_registry(string input)
        {
            var e = Assert.Throws<KapsuleException>(() => DockerConfigCredentialProvider.NormalizeRegistry(input));
            Assert.Equal(ErrorIds.InvalidRegistry, e.ErrorId);
        }
    }
}
