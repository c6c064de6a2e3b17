using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Kapsule.Registry;
using Xunit;

namespace Kapsule.Tests.Registry
{
    /// <summary>
    /// Tag paging as the distribution spec documents it (n, last, and a Link header with rel="next").
    /// docker-registry 2.8, the real registry of the Pester suite, ignores n for tags, so this one uses a
    /// loopback listener that follows the spec's paging rules to the letter.
    /// </summary>
    public class TagPagingTests
    {
        [Fact]
        public async Task FollowsLinkHeadersUntilTheLastPage()
        {
            var all = Enumerable.Range(0, 7).Select(i => $"v{i}").ToArray();
            var requests = new List<string>();
            int port;
            using (var probe = new TcpListener(IPAddress.Loopback, 0)) { probe.Start(); port = ((IPEndPoint)probe.LocalEndpoint).Port; probe.Stop(); }
            using var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            listener.Start();
            var server = Task.Run(async () =>
            {
                while (listener.IsListening)
                {
                    HttpListenerContext ctx;
                    try { ctx = await listener.GetContextAsync(); } catch (Exception) { return; }
                    var url = ctx.Request.Url!;
                    lock (requests) requests.Add(url.PathAndQuery);
                    if (url.AbsolutePath == "/v2/")
                    {
                        ctx.Response.StatusCode = 200;
                        ctx.Response.Close();
                        continue;
                    }
                    var q = System.Web.HttpUtility.ParseQueryString(url.Query);
                    int n = int.Parse(q["n"] ?? "100");
                    string? last = q["last"];
                    var page = all.Where(t => last == null || string.CompareOrdinal(t, last) > 0).Take(n).ToArray();
                    if (page.Length == n && page[page.Length - 1] != all[all.Length - 1])
                        ctx.Response.AddHeader("Link", $"</v2/team/m/tags/list?n={n}&last={page[page.Length - 1]}>; rel=\"next\"");
                    var body = Encoding.UTF8.GetBytes("{\"name\":\"team/m\",\"tags\":[" + string.Join(",", page.Select(t => "\"" + t + "\"")) + "]}");
                    ctx.Response.ContentType = "application/json";
                    ctx.Response.OutputStream.Write(body, 0, body.Length);
                    ctx.Response.Close();
                }
            });

            using var client = new RegistryClient(new RegistryClientOptions { MaxAttempts = 1 });
            var tags = await client.ListTagsAsync($"127.0.0.1:{port}", "team/m", 3);
            listener.Stop();

            Assert.Equal(all, tags);
            var pages = requests.Where(r => r.Contains("/tags/list")).ToList();
            Assert.Equal(new[] { "/v2/team/m/tags/list?n=3", "/v2/team/m/tags/list?n=3&last=v2", "/v2/team/m/tags/list?n=3&last=v5" }, pages);
        }
    }
}
