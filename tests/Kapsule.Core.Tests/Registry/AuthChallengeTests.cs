using System.Linq;
using Kapsule.Registry;
using Xunit;

namespace Kapsule.Tests.Registry
{
    public class AuthChallengeTests
    {
        [Fact]
        public void ParsesADistributionBearerChallenge()
        {
            var c = Assert.Single(AuthChallenge.Parse(
                "Bearer realm=\"https://auth.example.com/token\",service=\"registry.example.com\",scope=\"repository:team/model:pull,push\""));
            Assert.True(c.IsBearer);
            Assert.Equal("https://auth.example.com/token", c.Realm);
            Assert.Equal("registry.example.com", c.Service);
            Assert.Equal("repository:team/model:pull,push", c.Scope); // the comma inside quotes stays
        }

        [Fact]
        public void ParsesBasicAndSeveralChallengesInOneHeader()
        {
            var all = AuthChallenge.Parse("Basic realm=\"Registry Realm\", Bearer realm=\"https://a/t\",service=\"s\"");
            Assert.Equal(2, all.Count);
            Assert.True(all[0].IsBasic);
            Assert.Equal("Registry Realm", all[0].Realm);
            Assert.True(all[1].IsBearer);
            Assert.Equal("s", all[1].Service);
        }

        [Fact]
        public void HandlesEscapesTokensAndCase()
        {
            var c = Assert.Single(AuthChallenge.Parse("bearer Realm=https://x/t, error=\"insufficient_scope\", note=\"a \\\"quoted\\\" word\""));
            Assert.True(c.IsBearer);
            Assert.Equal("https://x/t", c.Realm);
            Assert.Equal("insufficient_scope", c.Error);
            Assert.Equal("a \"quoted\" word", c.Get("note"));
        }

        [Fact]
        public void EmptyHeaderHasNoChallenge()
        {
            Assert.Empty(AuthChallenge.Parse(""));
            Assert.Equal("Basic", AuthChallenge.Parse("Basic").Single().Scheme);
        }
    }
}

namespace Kapsule.Tests.Registry
{
    public class ScopeTests
    {
        [Theory]
        [InlineData("repository:a/b:pull,push", "repository:a/b:push,pull", "repository:a/b:pull,push")]
        [InlineData("repository:a/b:pull", "repository:a/b:push", "repository:a/b:pull,push")]
        [InlineData("repository:a/b:pull,push repository:c/d:pull", "repository:a/b:pull", "repository:a/b:pull,push repository:c/d:pull")]
        [InlineData(null, "repository:a/b:delete,pull", "repository:a/b:pull,delete")]
        [InlineData("", null, "")]
        [InlineData("registry:catalog:*", null, "registry:catalog:*")]
        public void MergesActionsPerResourceInAFixedOrder(string? a, string? b, string expected)
        {
            Assert.Equal(expected, RegistryAuthenticator.MergeScopes(a, b));
        }
    }
}
