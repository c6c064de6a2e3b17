using System.IO;
using System.Text;
using System.Threading.Tasks;
using Kapsule.Oci;
using Xunit;

namespace Kapsule.Tests.Oci
{
    public class DigestTests
    {
        [Fact]
        public void ComputesKnownSha256()
        {
            // sha256("hello world"), a published vector
            var d = Digest.Compute(Encoding.ASCII.GetBytes("hello world"));
            Assert.Equal("sha256:b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9", d.ToString());
        }

        [Fact]
        public async Task StreamingEqualsOneShotForSha512()
        {
            var data = new byte[3_000_001];
            new System.Random(7).NextBytes(data);
            var a = Digest.Compute(data, Digest.Sha512);
            var b = await Digest.ComputeAsync(new MemoryStream(data), Digest.Sha512);
            Assert.Equal(a, b);
            Assert.Equal(128, a.Hex.Length);
        }

        [Theory]
        [InlineData("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", true)]
        [InlineData("sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", false)]
        [InlineData("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85", false)]
        [InlineData("md5:d41d8cd98f00b204e9800998ecf8427e", false)]
        [InlineData("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", false)]
        [InlineData("", false)]
        [InlineData("sha256:", false)]
        [InlineData("sha256:../../../../etc/passwd0000000000000000000000000000000000000000", false)]
        public void ValidatesDigests(string value, bool valid)
        {
            Assert.Equal(valid, Digest.TryParse(value, out _));
            if (!valid)
            {
                var ex = Assert.Throws<KapsuleException>(() => Digest.Parse(value));
                Assert.Equal(ErrorIds.InvalidDigest, ex.ErrorId);
            }
        }
    }
}
