using System.IO;
using Kapsule.Content;
using Xunit;

namespace Kapsule.Tests.Content
{
    public class ImageLocationTests
    {
        [Theory]
        [InlineData("oci:/tmp/layout:v1", "/tmp/layout", "v1")]
        [InlineData("oci:/tmp/layout", "/tmp/layout", null)]
        [InlineData("oci:/tmp/lay:out/dir", "/tmp/lay:out/dir", null)]
        [InlineData("oci:/tmp/layout:", "/tmp/layout", null)]
        [InlineData("OCI:/tmp/x:latest", "/tmp/x", "latest")]
        public void ParsesOciFolders(string text, string folder, string? tag)
        {
            var loc = ImageLocation.Parse(text, p => p);
            Assert.True(loc.IsFolder);
            Assert.Equal(folder, loc.Folder);
            Assert.Equal(tag, loc.Tag);
        }

        [Fact]
        public void WindowsDriveLetterIsPartOfTheFolder()
        {
            var loc = ImageLocation.Parse(@"oci:C:\models\layout:v2", p => p);
            Assert.Equal(@"C:\models\layout", loc.Folder);
            Assert.Equal("v2", loc.Tag);
            Assert.Null(ImageLocation.Parse(@"oci:C:\models\layout", p => p).Tag);
        }

        [Fact]
        public void RegistryReferencesAreNormalised()
        {
            var loc = ImageLocation.Parse("localhost:5000/team/model");
            Assert.False(loc.IsFolder);
            Assert.Equal("localhost:5000/team/model:latest", loc.Registry!.ToString());
        }

        [Fact]
        public void AnEmptyFolderIsAnError()
        {
            var ex = Assert.Throws<KapsuleException>(() => ImageLocation.Parse("oci::v1"));
            Assert.Equal(ErrorIds.InvalidReference, ex.ErrorId);
        }

        [Fact]
        public void RelativeFoldersBecomeFullPaths()
        {
            Assert.Equal(Path.GetFullPath("layout"), ImageLocation.Parse("oci:layout:v1").Folder);
        }
    }
}
