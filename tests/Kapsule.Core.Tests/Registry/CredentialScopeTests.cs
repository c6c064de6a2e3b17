using System;
using System.Collections.Concurrent;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks;
using Kapsule.Oci;
using Kapsule.Registry;
using Xunit;

namespace Kapsule.Tests.Registry
{
    /// <summary>
    /// Credentials go to the registry and nowhere else: an upload Location naming another host gets no
    /// Authorization header. docker-registry never answers that way, so two loopback listeners play a
    /// registry that does (as one behind a misconfigured proxy would).
    /// </summary>
    public class CredentialScopeTests
    {
        private static int FreePort()
        {
            var l = new TcpListener(IPAddress.Loopback, 0);
            l.Start();
            int p = ((IPEndPoint)l.LocalEndpoint).Port;
            l.Stop();
            return p;
        }

        private static Task Serve(HttpListener listener, Action<HttpListenerContext> handle) => Task.Run(async () =>
        {
            while (listener.IsListening)
            {
                HttpListenerContext ctx;
                try { ctx = await listener.GetContextAsync(); } catch (Exception) { return; }
                try { handle(ctx); } finally { ctx.Response.Close(); }
            }
        });

        [Fact]
        public async Task AnUploadLocationOnAnotherHostGetsNoCredentials()
        {
            int registryPort = FreePort(), otherPort = FreePort();
            var seenByRegistry = new ConcurrentQueue<string>();
            var seenByOther = new ConcurrentQueue<string>();
            using var registry = new HttpListener();
            registry.Prefixes.Add($"http://127.0.0.1:{registryPort}/");
            registry.Start();
            using var other = new HttpListener();
            other.Prefixes.Add($"http://localhost:{otherPort}/");
            other.Start();

            var data = Encoding.ASCII.GetBytes("model weights");
            var digest = Digest.Compute(data);
            var served = Serve(registry, ctx =>
            {
                var auth = ctx.Request.Headers["Authorization"];
                seenByRegistry.Enqueue($"{ctx.Request.HttpMethod} {ctx.Request.Url!.AbsolutePath} {auth}");
                if (auth == null)
                {
                    ctx.Response.StatusCode = 401;
                    ctx.Response.AddHeader("WWW-Authenticate", "Basic realm=\"test\"");
                    return;
                }
                if (ctx.Request.HttpMethod == "HEAD") { ctx.Response.StatusCode = 404; return; }
                if (ctx.Request.HttpMethod == "POST")
                {
                    ctx.Response.StatusCode = 202;
                    ctx.Response.AddHeader("Location", $"http://localhost:{otherPort}/elsewhere/upload-1");
                    return;
                }
                ctx.Response.StatusCode = 200;
            });
            var elsewhere = Serve(other, ctx =>
            {
                seenByOther.Enqueue($"{ctx.Request.HttpMethod} {ctx.Request.Headers["Authorization"] ?? "<none>"}");
                ctx.Request.InputStream.CopyTo(Stream.Null);
                ctx.Response.StatusCode = 201;
            });

            var credential = new RegistryCredential("alice", "s3cret") { Source = "test" };
            using var client = new RegistryClient(new RegistryClientOptions
            {
                Credentials = new StaticCredentialProvider(null, credential),
                MaxAttempts = 1,
            });
            var outcome = await client.PushBlobAsync($"127.0.0.1:{registryPort}", "team/m",
                new Descriptor("x/y", digest, data.Length), _ => new MemoryStream(data));
            registry.Stop();
            other.Stop();

            Assert.Equal(BlobPushOutcome.Uploaded, outcome);
            Assert.Contains(seenByRegistry, r => r.StartsWith("POST ") && r.EndsWith("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:s3cret"))));
            Assert.Equal(new[] { "PUT <none>" }, seenByOther.ToArray());
        }


        [Fact]
        public async Task ATokenRealmOnPlainHttpOffThisMachineNeverGetsThePassword()
        {
            int port = FreePort();
            using var registry = new HttpListener();
            registry.Prefixes.Add($"http://127.0.0.1:{port}/");
            registry.Start();
            var served = Serve(registry, ctx =>
            {
                ctx.Response.StatusCode = 401;
                // .invalid never resolves: if the client tried to send the password there, the test would fail
                // with a connection error instead of the refusal asserted below.
                ctx.Response.AddHeader("WWW-Authenticate", "Bearer realm=\"http://tokens.kapsule.invalid/token\",service=\"r\"");
            });
            using var client = new RegistryClient(new RegistryClientOptions
            {
                Credentials = new StaticCredentialProvider(null, new RegistryCredential("alice", "s3cret")),
                MaxAttempts = 1,
            });
            var ex = await Assert.ThrowsAsync<KapsuleException>(() => client.PingAsync($"127.0.0.1:{port}"));
            registry.Stop();
            Assert.Equal(RegistryErrorIds.InsecureCredentials, ex.ErrorId);
            Assert.Contains("tokens.kapsule.invalid", ex.Message);
            Assert.DoesNotContain("s3cret", ex.Message);
        }
    }
}
