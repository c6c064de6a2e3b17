using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using Kapsule.Oci;
using Xunit;

namespace Kapsule.Tests.Oci
{
    /// <summary>
    /// Vectors follow distribution/reference (reference_test.go, normalize_test.go, regexp_test.go), seen
    /// through Docker's normalisation (ParseNormalizedNamed): inputs that plain Parse takes as-is get
    /// docker.io and library/ here.
    /// </summary>
    public class ReferenceTests
    {
        private const string F64 = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
        private const string ShaF = "sha256:" + F64;
        private const string ShaBusybox = "sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa";
        private const string ShaRedis = "sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c";
        private const string Hex64 = "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a";

        // ---- Accepted: reference_test.go TestReferenceParse, normalised ------------------------------------

        public static IEnumerable<object?[]> Accepted()
        {
            // input, registry, repository, tag, digest (parsed with defaultTag: false)
            yield return Row("test_com", "docker.io", "library/test_com", null, null);
            yield return Row("test.com:tag", "docker.io", "library/test.com", "tag", null);
            yield return Row("test.com:5000", "docker.io", "library/test.com", "5000", null);
            yield return Row("test.com/repo:tag", "test.com", "repo", "tag", null);
            yield return Row("test:5000/repo", "test:5000", "repo", null, null);
            yield return Row("test:5000/repo:tag", "test:5000", "repo", "tag", null);
            yield return Row("test:5000/repo@" + ShaF, "test:5000", "repo", null, ShaF);
            yield return Row("test:5000/repo:tag@" + ShaF, "test:5000", "repo", "tag", ShaF);
            yield return Row("lowercase:Uppercase", "docker.io", "library/lowercase", "Uppercase", null);
            yield return Row(Repeat("a/", 127) + "a:tag-puts-this-over-max", "docker.io", Repeat("a/", 127) + "a", "tag-puts-this-over-max", null);
            yield return Row("sub-dom1.foo.com/bar/baz/quux", "sub-dom1.foo.com", "bar/baz/quux", null, null);
            yield return Row("sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com", "bar/baz/quux", "some-long-tag", null);
            yield return Row("b.gcr.io/test.example.com/my-app:test.example.com", "b.gcr.io", "test.example.com/my-app", "test.example.com", null);
            yield return Row("xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com", "myimage", "xn--n3h.com", null);
            yield return Row("xn--7o8h.com/myimage:xn--7o8h.com@" + ShaF, "xn--7o8h.com", "myimage", "xn--7o8h.com", ShaF);
            yield return Row("foo_bar.com:8080", "docker.io", "library/foo_bar.com", "8080", null);
            yield return Row("foo/foo_bar.com:8080", "docker.io", "foo/foo_bar.com", "8080", null);
            yield return Row("192.168.1.1", "docker.io", "library/192.168.1.1", null, null);
            yield return Row("192.168.1.1:tag", "docker.io", "library/192.168.1.1", "tag", null);
            yield return Row("192.168.1.1:5000", "docker.io", "library/192.168.1.1", "5000", null);
            yield return Row("192.168.1.1/repo", "192.168.1.1", "repo", null, null);
            yield return Row("192.168.1.1:5000/repo", "192.168.1.1:5000", "repo", null, null);
            yield return Row("192.168.1.1:5000/repo:5050", "192.168.1.1:5000", "repo", "5050", null);
            yield return Row("[2001:db8::1]/repo", "[2001:db8::1]", "repo", null, null);
            yield return Row("[2001:db8:1:2:3:4:5:6]/repo:tag", "[2001:db8:1:2:3:4:5:6]", "repo", "tag", null);
            yield return Row("[2001:db8::1]:5000/repo", "[2001:db8::1]:5000", "repo", null, null);
            yield return Row("[2001:db8::1]:5000/repo:tag", "[2001:db8::1]:5000", "repo", "tag", null);
            yield return Row("[2001:db8::1]:5000/repo@" + ShaF, "[2001:db8::1]:5000", "repo", null, ShaF);
            yield return Row("[2001:db8::1]:5000/repo:tag@" + ShaF, "[2001:db8::1]:5000", "repo", "tag", ShaF);
            yield return Row("[2001:db8::]:5000/repo", "[2001:db8::]:5000", "repo", null, null);
            yield return Row("[::1]:5000/repo", "[::1]:5000", "repo", null, null);
            yield return Row("example.com/" + Repeat("a", 255) + ":tag", "example.com", Repeat("a", 255), "tag", null);
            // TestSerialization
            yield return Row("example.com:8000/named", "example.com:8000", "named", null, null);
            yield return Row("example.com:8000/named:tagged", "example.com:8000", "named", "tagged", null);
            yield return Row("other.com/named@sha256:1234567890098765432112345667890098765432112345667890098765432112",
                "other.com", "named", null, "sha256:1234567890098765432112345667890098765432112345667890098765432112");
            // normalize_test.go TestNormalizedSplitHostname
            yield return Row("test.com/foo", "test.com", "foo", null, null);
            yield return Row("test_com/foo", "docker.io", "test_com/foo", null, null);
            yield return Row("docker/migrator", "docker.io", "docker/migrator", null, null);
            yield return Row("test.com:8080/foo", "test.com:8080", "foo", null, null);
            yield return Row("test-com:8080/foo", "test-com:8080", "foo", null, null);
            yield return Row("foo", "docker.io", "library/foo", null, null);
            yield return Row("xn--n3h.com/foo", "xn--n3h.com", "foo", null, null);
            yield return Row("xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo", null, null);
            yield return Row("docker.io/foo", "docker.io", "library/foo", null, null);
            yield return Row("docker.io/library/foo", "docker.io", "library/foo", null, null);
            yield return Row("docker.io/library/foo/bar", "docker.io", "library/foo/bar", null, null);
            // normalize_test.go TestParseAnyReference (the name cases)
            yield return Row("redis", "docker.io", "library/redis", null, null);
            yield return Row("redis:latest", "docker.io", "library/redis", "latest", null);
            yield return Row("redis@" + ShaRedis, "docker.io", "library/redis", null, ShaRedis);
            yield return Row("dmcgowan/myapp@" + ShaRedis, "docker.io", "dmcgowan/myapp", null, ShaRedis);
            yield return Row("dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9", "docker.io",
                "library/dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9", null, null);
            yield return Row("dbcc1", "docker.io", "library/dbcc1", null, null);
            // A 64-hex string is only refused when it is the whole input.
            yield return Row("docker.io/" + Hex64, "docker.io", "library/" + Hex64, null, null);
            yield return Row(Hex64 + ":v1", "docker.io", "library/" + Hex64, "v1", null);
            // "sha256:<hex>" alone is a name plus a 64-character tag, not a digest.
            yield return Row("sha256:" + Hex64, "docker.io", "library/sha256", Hex64, null);
            // Uppercase first components are registries (normalize_test.go TestParseRepositoryInfo).
            yield return Row("Foo/bar", "Foo", "bar", null, null);
            yield return Row("LOCALDOMAIN/library/debian", "LOCALDOMAIN", "library/debian", null, null);
            yield return Row("Asdf.com/foo/bar", "Asdf.com", "foo/bar", null, null);
            // regexp_test.go
            yield return Row("registry.io/foo/project--id.module--name.ver---sion--name", "registry.io",
                "foo/project--id.module--name.ver---sion--name", null, null);
            yield return Row("example.com/some_separator__underscore/myimage", "example.com", "some_separator__underscore/myimage", null, null);
            yield return Row("do__cker/docker", "docker.io", "do__cker/docker", null, null);
            yield return Row("localhost:8080/name@" + ShaRedis, "localhost:8080", "name", null, ShaRedis);
            yield return Row("localhost@" + ShaRedis, "docker.io", "library/localhost", null, ShaRedis);
            yield return Row("localhost:8080", "docker.io", "library/localhost", "8080", null);
            yield return Row("192.168.1.1:750050/x", "192.168.1.1:750050", "x", null, null);
            // Tag grammar edges: 128 characters, leading underscore, dots and dashes after the first character.
            yield return Row("foo:" + Repeat("t", 128), "docker.io", "library/foo", Repeat("t", 128), null);
            yield return Row("foo:_x", "docker.io", "library/foo", "_x", null);
            yield return Row("foo:1.0-rc.1_b", "docker.io", "library/foo", "1.0-rc.1_b", null);
            // sha512 is supported by Kapsule's Digest (distribution/reference's test has it unregistered).
            yield return Row("validname@sha512:" + Repeat("f", 128), "docker.io", "library/validname", null, "sha512:" + Repeat("f", 128));
        }

        [Theory]
        [MemberData(nameof(Accepted))]
        public void ParsesAndNormalises(string input, string registry, string repository, string? tag, string? digest)
        {
            var r = Reference.Parse(input, defaultTag: false);
            Assert.Equal(registry, r.Registry);
            Assert.Equal(repository, r.Repository);
            Assert.Equal(tag, r.Tag);
            Assert.Equal(digest, r.Digest?.ToString());
            Assert.Equal(registry + "/" + repository, r.FullName);
        }

        [Theory]
        [MemberData(nameof(Accepted))]
        public void RoundTripsThroughToString(string input, string registry, string repository, string? tag, string? digest)
        {
            _ = registry; _ = repository; _ = tag; _ = digest;
            foreach (bool defaultTag in new[] { true, false })
            {
                var r = Reference.Parse(input, defaultTag);
                var again = Reference.Parse(r.ToString(), defaultTag);
                Assert.Equal(r, again);
                Assert.Equal(r.GetHashCode(), again.GetHashCode());
                Assert.Equal(r.ToString(), again.ToString());
                // The familiar form means the same thing too, except where Docker's shortening leaves a bare
                // 64-hex name, which the parser refuses as an image ID (docker.io/<hex> familiarises to <hex>).
                if (r.FamiliarString.Length == 64 && r.FamiliarString.All(c => "0123456789abcdef".IndexOf(c) >= 0))
                {
                    Assert.Throws<KapsuleException>(() => Reference.Parse(r.FamiliarString, defaultTag));
                }
                else
                {
                    Assert.Equal(r, Reference.Parse(r.FamiliarString, defaultTag));
                }
            }
        }

        // ---- Rejected ---------------------------------------------------------------------------------------

        public static IEnumerable<object[]> Rejected()
        {
            // input, a fragment of the reason
            // reference_test.go TestReferenceParse
            yield return new object[] { "", "empty" };
            yield return new object[] { ":justtag", "repository name" };
            yield return new object[] { "@" + ShaF, "repository name" };
            yield return new object[] { "repo@sha256:ffffffffffffffffffffffffffffffffff", "needs 64" };
            yield return new object[] { "validname@invaliddigest:" + F64, "'invaliddigest' is not supported" };
            yield return new object[] { "Uppercase:tag", "must be lowercase" };
            yield return new object[] { "test:5000/Uppercase/lowercase:tag", "must be lowercase" };
            yield return new object[] { "domain/" + Repeat("a", 256) + ":tag", "not be more than 255" };
            yield return new object[] { "aa/asdf$$^/aa", "'aa/asdf$$^/aa' is not valid" };
            yield return new object[] { "[2001:db8::1]", "followed by '/'" };
            yield return new object[] { "[2001:db8::1]:5000", "followed by '/'" };
            yield return new object[] { "[2001:db8::1]:tag", "followed by '/'" };
            yield return new object[] { "[fe80::1%eth0]:5000/repo", "not a valid registry host" };
            yield return new object[] { "[fe80::1%@invalidzone]:5000/repo", "" };
            // normalize_test.go TestValidateReferenceName
            yield return new object[] { "https://github.com/docker/docker", "URL scheme" };
            yield return new object[] { "docker/Docker", "must be lowercase" };
            yield return new object[] { "-docker", "is not valid" };
            yield return new object[] { "-docker/docker", "is not valid" };
            yield return new object[] { "-docker.io/docker/docker", "not a valid registry host" };
            yield return new object[] { "docker///docker", "empty path component" };
            yield return new object[] { "docker.io/docker/Docker", "must be lowercase" };
            yield return new object[] { "docker.io/docker///docker", "empty path component" };
            yield return new object[] { "[fc00::1]", "followed by '/'" };
            yield return new object[] { "[fc00::1]:5000", "followed by '/'" };
            yield return new object[] { "fc00::1:5000/debian", "not a valid registry host" };
            yield return new object[] { "[fe80::1%eth0]:5000/debian", "not a valid registry host" };
            yield return new object[] { "[2001:db8:3:4::192.0.2.33]:5000/debian", "not a valid registry host" };
            yield return new object[] { Hex64, "64-byte hexadecimal" };
            // normalize_test.go TestValidateRemoteName
            yield return new object[] { "docker-/docker", "is not valid" };
            yield return new object[] { "-docker-/docker", "is not valid" };
            yield return new object[] { "____/____", "is not valid" };
            yield return new object[] { "_docker/_docker", "is not valid" };
            yield return new object[] { "dock..er/docker", "not a valid registry host" };
            yield return new object[] { "dock_.er/docker", "not a valid registry host" };
            yield return new object[] { "dock-.er/docker", "not a valid registry host" };
            yield return new object[] { "docker/", "empty path component" };
            yield return new object[] {
                "this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255/docker",
                "not be more than 255" };
            yield return new object[] { "-foo", "is not valid" };
            // regexp_test.go
            yield return new object[] { "test.com:http/bar", "not a valid registry host" };
            yield return new object[] { "-ab.com/x", "not a valid registry host" };
            yield return new object[] { "ab-.com/x", "not a valid registry host" };
            yield return new object[] { "ab.-com/x", "not a valid registry host" };
            yield return new object[] { "[fd00:1:2::3]75050/x", "not a valid registry host" };
            yield return new object[] { "[fd00:1:2::3]::75050/x", "not a valid registry host" };
            yield return new object[] { "a/a/a/a/", "empty path component" };
            yield return new object[] { "a//a/a", "empty path component" };
            yield return new object[] { "foo.com/", "missing" };
            yield return new object[] { "foo.com/a-/a/a", "is not valid" };
            yield return new object[] { "foo/bar-", "is not valid" };
            yield return new object[] { "foo/-bar", "is not valid" };
            yield return new object[] { "docker_/docker_", "is not valid" };
            yield return new object[] { "example.com/__underscore/myimage", "is not valid" };
            yield return new object[] { "example.com/..dots/myimage", "is not valid" };
            yield return new object[] { "example.com/.dots/myimage", "is not valid" };
            yield return new object[] { "example.com/nodouble..dots/myimage", "is not valid" };
            yield return new object[] { "docker./docker", "not a valid registry host" };
            yield return new object[] { ".docker/docker", "not a valid registry host" };
            yield return new object[] { "do__cker:8080/docker", "not a valid registry host" };
            yield return new object[] { "Foo/FarB", "must be lowercase" };
            yield return new object[] { "registry.com:8080/myapp@sha256:badbadbadbad", "malformed" };
            yield return new object[] { "registry.com:8080/myapp:invalid~tag", "tag 'invalid~tag'" };
            yield return new object[] { "bad_hostname.com:8080/myapp:tag", "not a valid registry host" };
            yield return new object[] { "localhost:http/name@" + ShaRedis, "not a valid registry host" };
            yield return new object[] { "registry.com:8080/myapp@bad", "malformed" };
            yield return new object[] { "registry.com:8080/myapp@2bad", "malformed" };
            // Tags: too long, bad first character, empty.
            yield return new object[] { "foo:" + Repeat("t", 129), "tag" };
            yield return new object[] { "foo:.x", "tag '.x'" };
            yield return new object[] { "foo:-x", "tag '-x'" };
            yield return new object[] { "foo:", "tag after ':' is empty" };
            yield return new object[] { "foo:t\u00e4g", "tag" };
            // Digests Kapsule's Digest refuses: uppercase hex, unknown algorithm, wrong length.
            yield return new object[] { "foo@sha256:" + F64.ToUpperInvariant(), "lowercase" };
            yield return new object[] { "foo@md5:d41d8cd98f00b204e9800998ecf8427e", "'md5' is not supported" };
            yield return new object[] { "foo@sha512:" + F64, "needs 128" };
            // Only '/' may follow the registry; a trailing newline is not allowed to slip past the anchors.
            yield return new object[] { "foo\n", "whitespace" };
            yield return new object[] { " foo", "whitespace" };
            // distribution/reference returns this with an empty domain; Kapsule refuses it.
            yield return new object[] { "foo_bar.com/app", "not a valid host name" };
            yield return new object[] { "ubuntu\u0131", "" };
        }

        [Theory]
        [MemberData(nameof(Rejected))]
        public void RejectsInvalidReferences(string input, string reasonFragment)
        {
            var ex = Assert.Throws<KapsuleException>(() => Reference.Parse(input));
            Assert.Equal(ErrorIds.InvalidReference, ex.ErrorId);
            Assert.Equal(KapsuleErrorKind.InvalidArgument, ex.Kind);
            Assert.Equal(input, ex.Target);
            Assert.Contains("'" + input + "'", ex.Message, StringComparison.Ordinal);
            Assert.Contains(reasonFragment, ex.Message, StringComparison.Ordinal);
            Assert.Contains("[registry[:port]/]repository[:tag][@digest]", ex.Message, StringComparison.Ordinal);

            Assert.False(Reference.TryParse(input, out var r, out var error));
            Assert.Null(r);
            Assert.Equal(ex.Message, error);
        }

        [Fact]
        public void NullIsRejectedLikeEmpty()
        {
            Assert.False(Reference.TryParse(null, out var r, out var error));
            Assert.Null(r);
            Assert.Contains("empty", error, StringComparison.Ordinal);
            var ex = Assert.Throws<KapsuleException>(() => Reference.Parse(null!));
            Assert.Equal(ErrorIds.InvalidReference, ex.ErrorId);
        }

        [Fact]
        public void TryParseSucceedsWithoutError()
        {
            Assert.True(Reference.TryParse("ghcr.io/org/model:q4", out var r, out var error));
            Assert.Null(error);
            Assert.NotNull(r);
            Assert.Equal("ghcr.io/org/model:q4", r!.ToString());
            Assert.True(Reference.TryParse("ghcr.io/org/model", false, out r, out error));
            Assert.Null(r!.Tag);
        }

        [Fact]
        public void UppercaseMessageNamesTheRule()
        {
            var ex = Assert.Throws<KapsuleException>(() => Reference.Parse("docker/Docker"));
            Assert.Contains("repository name must be lowercase", ex.Message, StringComparison.Ordinal);
        }

        // ---- normalize_test.go: valid names -------------------------------------------------------------------

        [Theory]
        [InlineData("docker/docker")]
        [InlineData("library/debian")]
        [InlineData("debian")]
        [InlineData("localhost/library/debian")]
        [InlineData("localhost/debian")]
        [InlineData("LOCALDOMAIN/library/debian")]
        [InlineData("LOCALDOMAIN/debian")]
        [InlineData("docker.io/docker/docker")]
        [InlineData("docker.io/library/debian")]
        [InlineData("docker.io/debian")]
        [InlineData("index.docker.io/docker/docker")]
        [InlineData("index.docker.io/library/debian")]
        [InlineData("index.docker.io/debian")]
        [InlineData("127.0.0.1:5000/docker/docker")]
        [InlineData("127.0.0.1:5000/library/debian")]
        [InlineData("127.0.0.1:5000/debian")]
        [InlineData("192.168.0.1")]
        [InlineData("192.168.0.1:80")]
        [InlineData("192.168.0.1:8/debian")]
        [InlineData("192.168.0.2:25000/debian")]
        [InlineData("thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev")]
        [InlineData("[fc00::1]:5000/docker")]
        [InlineData("[fc00::1]:5000/docker/docker")]
        [InlineData("[fc00:1:2:3:4:5:6:7]:5000/library/debian")]
        [InlineData("docker.io/" + Hex64)]
        [InlineData("Docker/docker")]
        [InlineData("DOCKER/docker")]
        [InlineData("docker-rules/docker")]
        [InlineData("docker---rules/docker")]
        [InlineData("doc/docker")]
        [InlineData("d/docker")]
        [InlineData("jess/t")]
        [InlineData("dock__er/docker")]
        public void AcceptsValidNames(string input)
        {
            Assert.True(Reference.TryParse(input, out var r, out var error), error);
            Assert.NotNull(r!.Tag);
        }

        // ---- normalize_test.go TestParseRepositoryInfo ---------------------------------------------------------

        [Theory]
        // familiar, full, ambiguous (or null), registry, repository
        [InlineData("localhost/fooo", "localhost/fooo", null, "localhost", "fooo")]
        [InlineData("localhost/fooo/bar", "localhost/fooo/bar", null, "localhost", "fooo/bar")]
        [InlineData("LOCALDOMAIN/fooo", "LOCALDOMAIN/fooo", null, "LOCALDOMAIN", "fooo")]
        [InlineData("LOCALDOMAIN/fooo/bar", "LOCALDOMAIN/fooo/bar", null, "LOCALDOMAIN", "fooo/bar")]
        [InlineData("fooo/bar", "docker.io/fooo/bar", "index.docker.io/fooo/bar", "docker.io", "fooo/bar")]
        [InlineData("ubuntu", "docker.io/library/ubuntu", "library/ubuntu", "docker.io", "library/ubuntu")]
        [InlineData("nonlibrary/ubuntu", "docker.io/nonlibrary/ubuntu", null, "docker.io", "nonlibrary/ubuntu")]
        [InlineData("other/library", "docker.io/other/library", null, "docker.io", "other/library")]
        [InlineData("127.0.0.1:8000/private/moonbase", "127.0.0.1:8000/private/moonbase", null, "127.0.0.1:8000", "private/moonbase")]
        [InlineData("127.0.0.1:8000/privatebase", "127.0.0.1:8000/privatebase", null, "127.0.0.1:8000", "privatebase")]
        [InlineData("example.com/private/moonbase", "example.com/private/moonbase", null, "example.com", "private/moonbase")]
        [InlineData("example.com/privatebase", "example.com/privatebase", null, "example.com", "privatebase")]
        [InlineData("example.com:8000/private/moonbase", "example.com:8000/private/moonbase", null, "example.com:8000", "private/moonbase")]
        [InlineData("example.com:8000/privatebasee", "example.com:8000/privatebasee", null, "example.com:8000", "privatebasee")]
        [InlineData("ubuntu-12.04-base", "docker.io/library/ubuntu-12.04-base", "index.docker.io/library/ubuntu-12.04-base", "docker.io", "library/ubuntu-12.04-base")]
        [InlineData("foo", "docker.io/library/foo", "docker.io/foo", "docker.io", "library/foo")]
        [InlineData("library/foo/bar", "docker.io/library/foo/bar", null, "docker.io", "library/foo/bar")]
        [InlineData("store/foo/bar", "docker.io/store/foo/bar", null, "docker.io", "store/foo/bar")]
        [InlineData("Foo/bar", "Foo/bar", null, "Foo", "bar")]
        [InlineData("FOO/bar", "FOO/bar", null, "FOO", "bar")]
        public void FamiliarAndFullNamesAgree(string familiar, string full, string? ambiguous, string registry, string repository)
        {
            var inputs = new List<string> { familiar, full };
            if (ambiguous != null) inputs.Add(ambiguous);
            foreach (var input in inputs)
            {
                var r = Reference.Parse(input, defaultTag: false);
                Assert.Equal(familiar, r.FamiliarName);
                Assert.Equal(full, r.FullName);
                Assert.Equal(full, r.ToString());
                Assert.Equal(registry, r.Registry);
                Assert.Equal(repository, r.Repository);
            }
        }

        // ---- normalize_test.go TestParseNamed: is the input already the canonical form? -----------------------

        [Theory]
        [InlineData("test.com/foo", true)]
        [InlineData("test:8080/foo", true)]
        [InlineData("docker.io/library/foo", true)]
        [InlineData("test_com/foo", false)]
        [InlineData("test.com", false)]
        [InlineData("foo", false)]
        [InlineData("library/foo", false)]
        [InlineData("docker.io/foo", false)] // ambiguous: library/ is added
        public void CanonicalInputPrintsUnchanged(string input, bool canonical)
        {
            var r = Reference.Parse(input, defaultTag: false);
            Assert.Equal(canonical, r.ToString() == input);
        }

        // ---- Defaults, familiar strings, tag and digest together -------------------------------------------------

        [Theory]
        [InlineData("busybox", "docker.io/library/busybox:latest", "busybox:latest")]
        [InlineData("busybox:latest", "docker.io/library/busybox:latest", "busybox:latest")]
        [InlineData("library/busybox", "docker.io/library/busybox:latest", "busybox:latest")]
        [InlineData("docker.io/busybox", "docker.io/library/busybox:latest", "busybox:latest")]
        [InlineData("docker.io/library/busybox", "docker.io/library/busybox:latest", "busybox:latest")]
        [InlineData("index.docker.io/library/busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36")]
        [InlineData("gcr.io/library/busybox", "gcr.io/library/busybox:latest", "gcr.io/library/busybox:latest")]
        [InlineData("dmcgowan/myapp", "docker.io/dmcgowan/myapp:latest", "dmcgowan/myapp:latest")]
        [InlineData("library/foo/bar", "docker.io/library/foo/bar:latest", "library/foo/bar:latest")]
        [InlineData("busybox@" + ShaBusybox, "docker.io/library/busybox@" + ShaBusybox, "busybox@" + ShaBusybox)]
        [InlineData("gcr.io/library/busybox:latest@" + ShaBusybox, "gcr.io/library/busybox:latest@" + ShaBusybox, "gcr.io/library/busybox:latest@" + ShaBusybox)]
        [InlineData("localhost:5000/models/llama:7b", "localhost:5000/models/llama:7b", "localhost:5000/models/llama:7b")]
        public void DefaultTagAndFamiliarString(string input, string normalised, string familiar)
        {
            var r = Reference.Parse(input);
            Assert.Equal(normalised, r.ToString());
            Assert.Equal(familiar, r.FamiliarString);
        }

        [Fact]
        public void KeepsBothTagAndDigest()
        {
            const string shortRef = "busybox:latest@" + ShaBusybox;
            var r = Reference.Parse(shortRef);
            Assert.Equal("docker.io/library/" + shortRef, r.ToString());
            Assert.Equal("latest", r.Tag);
            Assert.Equal(ShaBusybox, r.Digest.ToString());
            Assert.Equal(shortRef, r.FamiliarString);
            Assert.Equal(ShaBusybox, r.ReferenceOrDigest);
        }

        [Fact]
        public void NoDefaultTagWhenDisabledOrDigestGiven()
        {
            Assert.Null(Reference.Parse("busybox", defaultTag: false).Tag);
            Assert.Null(Reference.Parse("busybox@" + ShaBusybox).Tag);
            Assert.Equal("docker.io/library/busybox", Reference.Parse("busybox", defaultTag: false).ToString());
        }

        [Theory]
        [InlineData("busybox", "latest")]
        [InlineData("busybox:1.36", "1.36")]
        [InlineData("busybox@" + ShaBusybox, ShaBusybox)]
        [InlineData("busybox:1.36@" + ShaBusybox, ShaBusybox)]
        public void ReferenceOrDigestPrefersDigest(string input, string expected)
        {
            Assert.Equal(expected, Reference.Parse(input).ReferenceOrDigest);
            Assert.Equal(expected, Reference.Parse(input, defaultTag: false).ReferenceOrDigest);
        }

        // ---- WithTag / WithDigest (reference_test.go TestWithTag, TestWithDigest) -------------------------------

        [Theory]
        [InlineData("test.com/foo", "tag", "test.com/foo:tag")]
        [InlineData("foo", "tag2", "docker.io/library/foo:tag2")]
        [InlineData("test.com:8000/foo", "tag4", "test.com:8000/foo:tag4")]
        [InlineData("test.com:8000/foo", "TAG5", "test.com:8000/foo:TAG5")]
        [InlineData("test.com:8000/foo@" + ShaF, "TAG5", "test.com:8000/foo:TAG5@" + ShaF)]
        [InlineData("test.com:8000/foo:old", "new", "test.com:8000/foo:new")]
        public void WithTagReplacesTagAndKeepsDigest(string input, string tag, string expected)
        {
            var r = Reference.Parse(input, defaultTag: false);
            var t = r.WithTag(tag);
            Assert.Equal(expected, t.ToString());
            Assert.Equal(tag, t.Tag);
            Assert.Equal(r.Digest, t.Digest);
        }

        [Theory]
        [InlineData("test.com/foo", "test.com/foo@" + ShaF)]
        [InlineData("foo", "docker.io/library/foo@" + ShaF)]
        [InlineData("test.com:8000/foo", "test.com:8000/foo@" + ShaF)]
        [InlineData("test.com:8000/foo:latest", "test.com:8000/foo:latest@" + ShaF)]
        public void WithDigestKeepsTag(string input, string expected)
        {
            var r = Reference.Parse(input, defaultTag: false);
            var d = r.WithDigest(Digest.Parse(ShaF));
            Assert.Equal(expected, d.ToString());
            Assert.Equal(r.Tag, d.Tag);
            Assert.Equal(ShaF, d.ReferenceOrDigest);
        }

        [Theory]
        [InlineData("-foo")]
        [InlineData(".foo")]
        [InlineData("")]
        [InlineData("a:b")]
        [InlineData("a/b")]
        [InlineData("t\u00e4g")]
        public void WithTagRejectsInvalidTags(string tag)
        {
            var r = Reference.Parse("busybox");
            var ex = Assert.Throws<KapsuleException>(() => r.WithTag(tag));
            Assert.Equal(ErrorIds.InvalidReference, ex.ErrorId);
            Assert.Equal(KapsuleErrorKind.InvalidArgument, ex.Kind);
            Assert.Equal(tag, ex.Target);
            Assert.Contains("'" + tag + "'", ex.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void WithTagRejectsTooLongTag()
        {
            var r = Reference.Parse("busybox");
            Assert.Equal(Repeat("x", 128), r.WithTag(Repeat("x", 128)).Tag);
            Assert.Throws<KapsuleException>(() => r.WithTag(Repeat("x", 129)));
        }

        [Fact]
        public void WithDigestRejectsEmptyDigest()
        {
            var r = Reference.Parse("busybox");
            var ex = Assert.Throws<KapsuleException>(() => r.WithDigest(default));
            Assert.Equal(ErrorIds.InvalidReference, ex.ErrorId);
        }

        // ---- Equality -------------------------------------------------------------------------------------------

        [Fact]
        public void EqualityIsByValue()
        {
            var a = Reference.Parse("ubuntu");
            var b = Reference.Parse("index.docker.io/library/ubuntu:latest");
            Assert.Equal(a, b);
            Assert.True(a == b);
            Assert.False(a != b);
            Assert.Equal(a.GetHashCode(), b.GetHashCode());
            Assert.NotEqual(a, Reference.Parse("ubuntu", defaultTag: false));
            Assert.NotEqual(a, Reference.Parse("ubuntu:22.04"));
            Assert.NotEqual(a, a.WithDigest(Digest.Parse(ShaF)));
            Assert.False(a.Equals(null));
            Assert.False(a == null);
        }

        // ---- Loopback registries ----------------------------------------------------------------------------------

        [Theory]
        [InlineData("localhost", true)]
        [InlineData("localhost:5000", true)]
        [InlineData("LOCALHOST:5000", true)]
        [InlineData("127.0.0.1", true)]
        [InlineData("127.0.0.1:5000", true)]
        [InlineData("127.1.2.3:80", true)]
        [InlineData("127.255.255.255", true)]
        [InlineData("[::1]", true)]
        [InlineData("[::1]:5000", true)]
        [InlineData("[0:0:0:0:0:0:0:1]:5000", true)]
        [InlineData("docker.io", false)]
        [InlineData("localhost.example.com", false)]
        [InlineData("localhostx:5000", false)]
        [InlineData("127.0.0.1.example.com", false)]
        [InlineData("127.0.0.256", false)]
        [InlineData("127.1", false)]
        [InlineData("128.0.0.1", false)]
        [InlineData("10.0.0.1:5000", false)]
        [InlineData("[::2]:5000", false)]
        [InlineData("[::1", false)]
        [InlineData("[::1]5000", false)]
        [InlineData("localhost:", false)]
        [InlineData("localhost:http", false)]
        [InlineData("::1", false)]
        [InlineData("", false)]
        [InlineData(null, false)]
        public void RecognisesLoopbackRegistries(string? registry, bool expected)
        {
            Assert.Equal(expected, Reference.IsLoopbackRegistry(registry));
        }

        [Theory]
        [InlineData("localhost:5000/a/b", true)]
        [InlineData("127.0.0.1:5000/a", true)]
        [InlineData("[::1]:5000/a", true)]
        [InlineData("localhost/a", true)]
        [InlineData("ubuntu", false)]
        [InlineData("localhost", false)] // a lone "localhost" is docker.io/library/localhost
        public void LoopbackFromParsedReference(string input, bool expected)
        {
            Assert.Equal(expected, Reference.IsLoopbackRegistry(Reference.Parse(input).Registry));
        }

        // ---- Robustness ----------------------------------------------------------------------------------------------

        [Fact]
        public void LongHostileInputsFailQuickly()
        {
            var inputs = new[]
            {
                Repeat("a", 20000) + "!",
                Repeat("a-", 10000) + "!",
                Repeat("a.", 10000) + "/!",
                Repeat("a__", 5000) + "_/x",
                "example.com/" + Repeat("a.", 5000) + "!:tag",
                Repeat("A-", 10000) + "/x",
                "x@" + Repeat("a.", 5000) + ":" + F64,
            };
            var sw = Stopwatch.StartNew();
            foreach (var s in inputs)
            {
                Assert.False(Reference.TryParse(s, out _, out _));
            }
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"took {sw.Elapsed}");
        }

        private static object?[] Row(string input, string registry, string repository, string? tag, string? digest) =>
            new object?[] { input, registry, repository, tag, digest };

        private static string Repeat(string s, int n) => string.Concat(Enumerable.Repeat(s, n));
    }
}
