using System;
using System.ComponentModel;
using System.Diagnostics;
using System.IO;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace Kapsule.Registry
{
    /// <summary>
    /// A docker credential helper, the program <c>docker-credential-&lt;name&gt;</c> on PATH, spoken to
    /// through the docker-credential-helpers protocol: the action is the only argument, the input is on
    /// stdin (the server URL for get and erase, a JSON object for store), the answer is on stdout, and a
    /// failure is a non-zero exit with the message on stdout.
    /// </summary>
    internal sealed class CredentialHelper
    {
        /// <summary>What helpers print when they hold nothing for the server URL.</summary>
        internal const string NotFoundMessage = "credentials not found in native keychain";

        /// <summary>The user name a helper returns when the secret is an identity (refresh) token.</summary>
        internal const string TokenUserName = "<token>";

        private const int MaxOutputInMessage = 200;

        /// <param name="name">The helper's name, the part after <c>docker-credential-</c>.</param>
        /// <param name="configuredBy">Where the helper was named, for error messages (e.g. <c>"credsStore" in '/home/u/.docker/config.json'</c>).</param>
        /// <param name="configFile">The file that names it, for the remedy in error messages.</param>
        public CredentialHelper(string name, string configuredBy, string configFile, TimeSpan timeout)
        {
            Name = name;
            ConfiguredBy = configuredBy;
            ConfigFile = configFile;
            Timeout = timeout;
        }

        public string Name { get; }
        public string ConfiguredBy { get; }
        public string ConfigFile { get; }
        public TimeSpan Timeout { get; }
        public string ProgramName => "docker-credential-" + Name;

        /// <summary>The credential the helper holds for <paramref name="serverUrl"/>, or null when it holds none.</summary>
        public async Task<RegistryCredential?> GetAsync(string serverUrl, CancellationToken cancellationToken)
        {
            var result = await RunAsync("get", Encoding.UTF8.GetBytes(serverUrl), cancellationToken).ConfigureAwait(false);
            if (result.ExitCode != 0)
            {
                if (result.IsNotFound) return null;
                throw Failed("get", result);
            }

            string? user, secret;
            try
            {
                using var doc = JsonDocument.Parse(result.StdOut);
                if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new JsonException();
                user = ReadString(doc.RootElement, "Username");
                secret = ReadString(doc.RootElement, "Secret");
            }
            catch (Exception e) when (e is JsonException || e is InvalidOperationException)
            {
                // Never quote the output: it may hold the secret.
                throw new KapsuleException(ErrorIds.CredentialHelperFailed, KapsuleErrorKind.ProtocolError,
                    $"'{ProgramName} get' answered with something that is not the JSON object " +
                    "{\"ServerURL\",\"Username\",\"Secret\"} of the docker-credential-helpers protocol.")
                { Target = ProgramName };
            }

            if (string.IsNullOrEmpty(secret)) return null;
            var credential = user == TokenUserName
                ? new RegistryCredential(null, null, identityToken: secret)
                : new RegistryCredential(user, secret);
            credential.Source = $"{ProgramName} ({ConfiguredBy})";
            return credential;
        }

        /// <summary>Stores a user name and secret for <paramref name="serverUrl"/>.</summary>
        public async Task StoreAsync(string serverUrl, string userName, string secret, CancellationToken cancellationToken)
        {
            var input = WriteJson(w =>
            {
                w.WriteStartObject();
                w.WriteString("ServerURL", serverUrl);
                w.WriteString("Username", userName);
                w.WriteString("Secret", secret);
                w.WriteEndObject();
            });
            var result = await RunAsync("store", input, cancellationToken).ConfigureAwait(false);
            if (result.ExitCode != 0) throw Failed("store", result);
        }

        /// <summary>Erases what the helper holds for <paramref name="serverUrl"/>; false when it held nothing.</summary>
        public async Task<bool> EraseAsync(string serverUrl, CancellationToken cancellationToken)
        {
            var result = await RunAsync("erase", Encoding.UTF8.GetBytes(serverUrl), cancellationToken).ConfigureAwait(false);
            if (result.ExitCode == 0) return true;
            if (result.IsNotFound) return false;
            throw Failed("erase", result);
        }

        private static string? ReadString(JsonElement obj, string name)
        {
            if (!obj.TryGetProperty(name, out var el) || el.ValueKind == JsonValueKind.Null) return null;
            return el.GetString();
        }

        private static byte[] WriteJson(Action<Utf8JsonWriter> body)
        {
            using var ms = new MemoryStream();
            using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            {
                body(w);
            }
            return ms.ToArray();
        }

        private KapsuleException Failed(string action, HelperResult result)
        {
            var said = result.StdOut.Trim();
            if (said.Length == 0) said = result.StdErr.Trim();
            int nl = said.IndexOf('\n');
            if (nl >= 0) said = said.Substring(0, nl).TrimEnd();
            if (said.Length > MaxOutputInMessage) said = said.Substring(0, MaxOutputInMessage) + "...";
            var text = said.Length == 0 ? "" : $": {said}";
            return new KapsuleException(ErrorIds.CredentialHelperFailed, KapsuleErrorKind.ResourceUnavailable,
                $"The credential helper '{ProgramName} {action}' failed (exit code {result.ExitCode}){text}. " +
                $"It is used because of {ConfiguredBy}.")
            { Target = ProgramName };
        }

        private KapsuleException NotInstalled()
        {
            return new KapsuleException(ErrorIds.CredentialHelperFailed, KapsuleErrorKind.ResourceUnavailable,
                $"The credential helper '{ProgramName}' is not on PATH, but {ConfiguredBy} names it. " +
                $"Install '{ProgramName}' (docker-credential-helpers), or remove that setting from '{ConfigFile}' " +
                "and log in again with Connect-KapsuleRegistry.")
            { Target = ProgramName };
        }

        /// <summary>The helper program's full path, searched on PATH as docker does (PATHEXT on Windows).</summary>
        internal string? FindProgram()
        {
            var path = Environment.GetEnvironmentVariable("PATH") ?? "";
            bool windows = RuntimeInformation.IsOSPlatform(OSPlatform.Windows);
            string[] extensions = windows
                ? (Environment.GetEnvironmentVariable("PATHEXT") ?? ".COM;.EXE;.BAT;.CMD").Split(new[] { ';' }, StringSplitOptions.RemoveEmptyEntries)
                : new[] { "" };
            foreach (var dir in path.Split(new[] { Path.PathSeparator }, StringSplitOptions.RemoveEmptyEntries))
            {
                foreach (var ext in extensions)
                {
                    string candidate;
                    try { candidate = Path.Combine(dir.Trim('"'), ProgramName + ext); }
                    catch (ArgumentException) { continue; }
                    if (File.Exists(candidate)) return candidate;
                }
            }
            return null;
        }

        private async Task<HelperResult> RunAsync(string action, byte[] input, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var program = FindProgram() ?? throw NotInstalled();
            var psi = new ProcessStartInfo(program, action)
            {
                UseShellExecute = false,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                CreateNoWindow = true,
                StandardOutputEncoding = new UTF8Encoding(false),
                StandardErrorEncoding = new UTF8Encoding(false),
            };
            using var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
            var exited = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            process.Exited += (_, __) => exited.TrySetResult(true);
            try
            {
                process.Start();
            }
            catch (Win32Exception e)
            {
                throw new KapsuleException(ErrorIds.CredentialHelperFailed, KapsuleErrorKind.ResourceUnavailable,
                    $"The credential helper '{program}' could not be started ({e.Message}). It is used because of {ConfiguredBy}; " +
                    $"make it executable, or remove that setting from '{ConfigFile}'.", e)
                { Target = ProgramName };
            }

            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(Timeout);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            var stopped = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            using (stop.Token.Register(() => stopped.TrySetResult(true)))
            {
                try
                {
                    var stdin = process.StandardInput.BaseStream;
                    await stdin.WriteAsync(input, 0, input.Length, stop.Token).ConfigureAwait(false);
                    await stdin.FlushAsync(stop.Token).ConfigureAwait(false);
                    process.StandardInput.Close();
                }
                catch (IOException)
                {
                    // The helper exited without reading its input; its exit code tells the rest.
                }
                catch (OperationCanceledException)
                {
                    // Handled below with the wait.
                }

                var outputs = Task.WhenAll(exited.Task, stdout, stderr);
                if (await Task.WhenAny(outputs, stopped.Task).ConfigureAwait(false) != outputs)
                {
                    Kill(process);
                    cancellationToken.ThrowIfCancellationRequested();
                    throw new KapsuleException(ErrorIds.CredentialHelperFailed, KapsuleErrorKind.ResourceUnavailable,
                        $"The credential helper '{ProgramName} {action}' did not finish within {Timeout.TotalSeconds:0} s and was stopped. " +
                        $"It is used because of {ConfiguredBy}; it may be waiting for a keychain to be unlocked.")
                    { Target = ProgramName };
                }
            }
            process.WaitForExit();
            return new HelperResult(process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
        }

        private static void Kill(Process process)
        {
            try
            {
                // Process.Kill(bool entireProcessTree) exists from .NET Core 3.0; netstandard2.0 only sees Kill().
                var killTree = typeof(Process).GetMethod("Kill", BindingFlags.Public | BindingFlags.Instance, null, new[] { typeof(bool) }, null);
                if (killTree != null) killTree.Invoke(process, new object[] { true });
                else process.Kill();
            }
            catch (Exception e) when (e is InvalidOperationException || e is Win32Exception || e is TargetInvocationException || e is NotSupportedException)
            {
                // Already gone.
            }
        }

        private readonly struct HelperResult
        {
            public HelperResult(int exitCode, string stdOut, string stdErr)
            {
                ExitCode = exitCode;
                StdOut = stdOut;
                StdErr = stdErr;
            }

            public int ExitCode { get; }
            public string StdOut { get; }
            public string StdErr { get; }

            public bool IsNotFound => StdOut.IndexOf(NotFoundMessage, StringComparison.OrdinalIgnoreCase) >= 0
                || StdErr.IndexOf(NotFoundMessage, StringComparison.OrdinalIgnoreCase) >= 0;
        }
    }
}
