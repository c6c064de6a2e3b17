using System;
using System.IO;
using System.Linq;
using System.Text;
using Kapsule.Modelfile;
using Xunit;

namespace Kapsule.Tests.Modelfile
{
    public sealed class FromResolverTests : IDisposable
    {
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "kapsule-from-" + Guid.NewGuid().ToString("N"));

        public FromResolverTests() => Directory.CreateDirectory(_dir);

        public void Dispose() => Directory.Delete(_dir, recursive: true);

        private string Write(string relative, byte[] bytes)
        {
            string path = Path.Combine(_dir, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, bytes);
            return path;
        }

        private static byte[] Gguf => Encoding.ASCII.GetBytes("GGUF\x03\0\0\0rest");

        private static byte[] Safetensors
        {
            get
            {
                var json = Encoding.ASCII.GetBytes("{\"__metadata__\":{}}");
                return BitConverter.GetBytes((ulong)json.Length).Concat(json).ToArray();
            }
        }

        private static byte[] TorchZip => new byte[] { (byte)'P', (byte)'K', 3, 4, 0, 0, 0, 0, 0, 0 };

        [Fact]
        public void RelativeFileIsResolvedAgainstTheModelfileFolder()
        {
            string file = Write("models/test.gguf", Gguf);
            var m = ModelfileParser.Parse("FROM ./test.gguf", Path.Combine(_dir, "models", "Modelfile"));
            var r = FromResolver.Resolve(m);
            Assert.Equal(FromKind.File, r.Kind);
            Assert.Equal(file, r.FullPath);
            Assert.Equal(WeightFormat.Gguf, r.Format);
            Assert.Equal(new[] { file }, r.WeightFiles);
        }

        [Fact]
        public void ParentRelativeAndAbsolutePaths()
        {
            string file = Write("w/model.safetensors", Safetensors);
            Assert.Equal(file, FromResolver.Resolve("../w/model.safetensors", Path.Combine(_dir, "sub")).FullPath);
            var abs = FromResolver.Resolve(file, "/nowhere");
            Assert.Equal(FromKind.File, abs.Kind);
            Assert.Equal(WeightFormat.Safetensors, abs.Format);
        }

        [Theory]
        [InlineData("a.gguf", "GGUF", WeightFormat.Gguf)]
        [InlineData("a.bin", "GGUF", WeightFormat.Gguf)]
        [InlineData("weights.dat", "GGUF", WeightFormat.Gguf)]
        [InlineData("pytorch_model.bin", "ZIP", WeightFormat.PyTorch)]
        [InlineData("x.pt", "", WeightFormat.PyTorch)]
        [InlineData("x.pth", "PICKLE", WeightFormat.PyTorch)]
        [InlineData("x.safetensors", "ST", WeightFormat.Safetensors)]
        [InlineData("x.safetensors", "", WeightFormat.Safetensors)]
        [InlineData("x.bin", "", WeightFormat.Unknown)]
        [InlineData("x.gguf", "testing", WeightFormat.Gguf)]
        public void FormatByMagicThenExtension(string name, string content, WeightFormat expected)
        {
            byte[] bytes = content switch
            {
                "GGUF" => Gguf,
                "ZIP" => TorchZip,
                "PICKLE" => new byte[] { 0x80, 0x02, 0x8a, 0x0a },
                "ST" => Safetensors,
                _ => Encoding.ASCII.GetBytes(content),
            };
            Assert.Equal(expected, FromResolver.DetectFormat(Write(name, bytes)));
        }

        [Fact]
        public void HuggingFaceFolder()
        {
            Write("hf/config.json", Encoding.ASCII.GetBytes("{}"));
            string a = Write("hf/model-00001-of-00002.safetensors", Safetensors);
            string b = Write("hf/model-00002-of-00002.safetensors", Safetensors);
            Write("hf/pytorch_model.bin", TorchZip);
            var r = FromResolver.Resolve("hf", _dir);
            Assert.Equal(FromKind.Folder, r.Kind);
            Assert.Equal(FolderLayout.HuggingFace, r.Layout);
            Assert.Equal(WeightFormat.Safetensors, r.Format);
            Assert.Equal(new[] { a, b }, r.WeightFiles);
        }

        [Fact]
        public void HuggingFacePyTorchBinFolder()
        {
            string a = Write("hfpt/pytorch_model-00001-of-00002.bin", TorchZip);
            var r = FromResolver.Resolve("./hfpt", _dir);
            Assert.Equal(FolderLayout.HuggingFace, r.Layout);
            Assert.Equal(WeightFormat.PyTorch, r.Format);
            Assert.Equal(a, r.WeightFiles[0]);
        }

        [Fact]
        public void PyTorchCheckpointFolder()
        {
            Write("meta/params.json", Encoding.ASCII.GetBytes("{}"));
            string c = Write("meta/consolidated.00.pth", TorchZip);
            var r = FromResolver.Resolve("meta", _dir);
            Assert.Equal(FolderLayout.PyTorch, r.Layout);
            Assert.Equal(WeightFormat.PyTorch, r.Format);
            Assert.Equal(new[] { c }, r.WeightFiles);
        }

        [Fact]
        public void GgufFolderAndEmptyFolder()
        {
            Write("g/b.gguf", Gguf);
            Write("g/a.gguf", Gguf);
            var r = FromResolver.Resolve("g", _dir);
            Assert.Equal(FolderLayout.Gguf, r.Layout);
            Assert.Equal(new[] { "a.gguf", "b.gguf" }, r.WeightFiles.Select(Path.GetFileName));

            Directory.CreateDirectory(Path.Combine(_dir, "empty"));
            var e = FromResolver.Resolve("empty", _dir);
            Assert.Equal(FromKind.Folder, e.Kind);
            Assert.Equal(FolderLayout.Unknown, e.Layout);
            Assert.Empty(e.WeightFiles);
        }

        [Theory]
        [InlineData("llama3", false)]
        [InlineData("llama3:7b-instruct-q4_K_M", false)]
        [InlineData("registry.example/ns/model:tag", false)]
        [InlineData("hf.co/org/Repo-GGUF:Q4_K_M", false)]
        [InlineData("./missing.gguf", true)]
        [InlineData("missing.safetensors", true)]
        [InlineData("~/nothing/here", true)]
        public void MissingPathIsAReference(string value, bool looksLikePath)
        {
            var r = FromResolver.Resolve(value, _dir);
            Assert.Equal(FromKind.Reference, r.Kind);
            Assert.Equal(value, r.Value);
            Assert.Equal(looksLikePath, r.LooksLikePath);
            Assert.Empty(r.WeightFiles);
        }

        [Fact]
        public void TildeIsTheHomeFolder()
        {
            string home = Environment.GetEnvironmentVariable("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            Assert.Equal(Path.GetFullPath(Path.Combine(home, "x", "y.gguf")), FromResolver.ExpandPath("~/x/y.gguf", _dir));
            Assert.Equal(Path.GetFullPath(home), FromResolver.ExpandPath("~", _dir));
        }

        [Fact]
        public void TildeUserIsThatUsersHome()
        {
            if (!File.Exists("/etc/passwd")) return;
            Assert.Equal("/root/m.gguf", FromResolver.ExpandPath("~root/m.gguf", _dir));
            var e = Assert.Throws<KapsuleException>(() => FromResolver.ExpandPath("~no_such_user_kapsule/m.gguf", _dir));
            Assert.Equal(ErrorIds.ModelfileInvalid, e.ErrorId);
        }
    }
}
