using System.Text;
using Kapsule.Oci;
using Xunit;

namespace Kapsule.Tests.Oci
{
    public class ManifestTests
    {
        private const string Canonical =
            "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\"," +
            "\"artifactType\":\"application/vnd.cncf.model.manifest.v1+json\"," +
            "\"config\":{\"mediaType\":\"application/vnd.cncf.model.config.v1+json\",\"digest\":\"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a\",\"size\":2}," +
            "\"layers\":[{\"mediaType\":\"application/vnd.cncf.model.weight.v1.raw\",\"digest\":\"sha256:13ec91ff73f105c4673dca6c7214a9299bdba9ab0dfb5e97acb319bf5732de46\",\"size\":544," +
            "\"annotations\":{\"org.cncf.model.filepath\":\"test.gguf\",\"org.opencontainers.image.title\":\"test.gguf\"}}]," +
            "\"annotations\":{\"org.opencontainers.image.created\":\"2026-01-01T00:00:00Z\"}}";

        [Fact]
        public void CanonicalManifestRoundTripsByteForByte()
        {
            var bytes = Encoding.UTF8.GetBytes(Canonical);
            var m = Manifest.Parse(bytes);
            Assert.Equal(Canonical, Encoding.UTF8.GetString(m.ToBytes()));
            Assert.Equal("test.gguf", m.Layers[0].GetAnnotation(Annotations.ModelFilePath));
            Assert.Equal(MediaTypes.ModelManifestArtifact, m.ArtifactType);
        }

        [Fact]
        public void ForeignBytesAreKeptSoTheDigestStaysTheirs()
        {
            // Another tool's spacing and key order: the digest must be over these bytes, never re-serialised ones.
            var foreign = Canonical.Replace(",", ", ").Replace("{\"schemaVersion\":2,", "{ \"schemaVersion\" : 2,");
            var bytes = Encoding.UTF8.GetBytes(foreign);
            var m = Manifest.Parse(bytes);
            Assert.Equal(bytes, m.GetBytes());
            Assert.Equal(Digest.Compute(bytes), m.ToDescriptor().Digest);
            Assert.NotEqual(Digest.Compute(bytes), Digest.Compute(m.ToBytes()));
        }

        [Fact]
        public void AnnotationsAreWrittenSortedLikeGo()
        {
            var m = new Manifest(MediaTypes.OciManifest, new Descriptor(MediaTypes.OciEmpty, Digest.Compute(Encoding.ASCII.GetBytes("{}")), 2));
            m.Annotations = new System.Collections.Generic.SortedDictionary<string, string>(System.StringComparer.Ordinal) { ["z"] = "1", ["a"] = "2", ["B"] = "3" };
            var text = Encoding.UTF8.GetString(m.ToBytes());
            Assert.EndsWith("\"annotations\":{\"B\":\"3\",\"a\":\"2\",\"z\":\"1\"}}", text);
            Assert.Contains("\"layers\":[]", text);
        }

        [Theory]
        [InlineData("{\"schemaVersion\":1,\"config\":{},\"layers\":[]}", "schemaVersion")]
        [InlineData("{\"schemaVersion\":2,\"layers\":[]}", "config")]
        [InlineData("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a/b\",\"digest\":\"sha256:../../etc\",\"size\":1},\"layers\":[]}", "digest")]
        [InlineData("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a/b\",\"digest\":\"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a\",\"size\":-5},\"layers\":[]}", "negative")]
        [InlineData("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"config\":{},\"layers\":[]}", "not an image manifest")]
        [InlineData("[1,2,3]", "object")]
        [InlineData("{\"schemaVersion\":2,", "not valid JSON")]
        public void HostileOrBrokenManifestsAreRefused(string json, string expected)
        {
            var ex = Assert.Throws<KapsuleException>(() => Manifest.Parse(Encoding.UTF8.GetBytes(json)));
            Assert.Equal(ErrorIds.InvalidManifest, ex.ErrorId);
            Assert.Contains(expected, ex.Message);
        }

        [Fact]
        public void OversizedManifestIsRefusedBeforeParsing()
        {
            var ex = Assert.Throws<KapsuleException>(() => Manifest.Parse(new byte[Manifest.MaxBytes + 1]));
            Assert.Contains("limit", ex.Message);
        }

        [Fact]
        public void EmbeddedDataMustMatchItsDigest()
        {
            var good = "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/vnd.oci.empty.v1+json\",\"digest\":\"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a\",\"size\":2,\"data\":\"e30=\"},\"layers\":[]}";
            Assert.Equal(new byte[] { (byte)'{', (byte)'}' }, Manifest.Parse(Encoding.UTF8.GetBytes(good)).Config.Data);
            var bad = good.Replace("e30=", "W10=");
            Assert.Throws<KapsuleException>(() => Manifest.Parse(Encoding.UTF8.GetBytes(bad)));
        }
    }
}
