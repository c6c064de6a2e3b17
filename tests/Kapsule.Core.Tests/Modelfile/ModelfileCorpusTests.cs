using System;
using System.IO;
using System.Linq;
using Kapsule.Modelfile;
using Xunit;

namespace Kapsule.Tests.Modelfile
{
    /// <summary>The real-world and broken Modelfiles under test_fixtures/modelfiles, read from disk.</summary>
    public class ModelfileCorpusTests
    {
        private static readonly string Root = Path.Combine(AppContext.BaseDirectory, "test_fixtures");

        private static string Valid(string name) => Path.Combine(Root, "modelfiles", "valid", name);
        private static string Broken(string name) => Path.Combine(Root, "modelfiles", "invalid", name);

        [Fact]
        public void EveryValidFileParsesAndRoundTrips()
        {
            var files = Directory.GetFiles(Path.Combine(Root, "modelfiles", "valid"), "*.modelfile");
            Assert.True(files.Length >= 8);
            foreach (var file in files)
            {
                var m = ModelfileParser.ParseFile(file);
                Assert.Equal(Path.GetFullPath(file), m.SourcePath);
                var again = ModelfileParser.Parse(ModelfileWriter.Write(m));
                Assert.True(again.ContentEquals(m), file);
            }
        }

        [Fact]
        public void SampleTestModel()
        {
            var m = ModelfileParser.ParseFile(Path.Combine(Root, "testmodel", "modelfile"));
            Assert.Equal("./test.gguf", m.From);
            Assert.Empty(m.AdditionalFrom);
            Assert.Equal("[INST] {{ .System }} {{ .Prompt }} [/INST]", m.Template);
            Assert.Equal(new[] { "[INST]", "[/INST]" }, (string[])m.GetParameter("stop")!);
            Assert.Equal(0.8, m.GetParameter("temperature"));
            Assert.StartsWith("You are a concise assistant", m.System);
            var license = Assert.Single(m.Licenses);
            Assert.StartsWith("MIT License\n\nCopyright (c) Kapsule contributors\n", license);
            Assert.Contains("(the \"Software\")", license);
            var from = FromResolver.Resolve(m);
            Assert.Equal(Path.Combine(Root, "testmodel", "test.gguf"), from.FullPath);
        }

        [Fact]
        public void SeedStyleWithoutFinalNewline()
        {
            var m = ModelfileParser.ParseFile(Valid("seed-style.modelfile"));
            Assert.Equal("./test.gguf", m.From);
            Assert.Equal("[INST] {{ .System }} {{ .Prompt }} [/INST]", m.Template);
            Assert.Equal(new[] { "[/INST]", "[INST]" }, (string[])m.GetParameter("stop")!);
            Assert.Equal(0.8, m.GetParameter("temperature"));
            Assert.Equal("You are a helpful assistant that talks like a pirate.", m.System);
            Assert.Equal(9, m.FindInstruction(ModelfileInstructionKind.System)!.Line);
        }

        [Fact]
        public void OllamaShowOutputWithQuotesInsideMultilineValues()
        {
            var m = ModelfileParser.ParseFile(Valid("llama3-show.modelfile"));
            Assert.StartsWith("/usr/share/ollama/.ollama/models/blobs/sha256-6a0746a1", m.From);
            Assert.StartsWith("{{ if .System }}<|start_header_id|>system<|end_header_id|>\n\n{{ .System }}", m.Template);
            Assert.EndsWith("{{ .Response }}<|eot_id|>", m.Template);
            Assert.Equal(24L, m.GetParameter("num_keep"));
            Assert.Equal(3, ((string[])m.GetParameter("stop")!).Length);
            Assert.Contains("\"Agreement\" means", Assert.Single(m.Licenses));
        }

        [Fact]
        public void EveryInstruction()
        {
            var m = ModelfileParser.ParseFile(Valid("every-instruction.modelfile"));
            Assert.Equal("./weights/model.gguf", m.From);
            Assert.Equal(new[] { "./weights/mmproj.gguf" }, m.AdditionalFrom);
            Assert.Equal("./lora/adapter.gguf", m.Adapter);
            Assert.Equal("./draft", m.Draft);
            Assert.Equal("{{- range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n{{ end }}<|im_start|>assistant\n", m.Template);
            Assert.Equal("You answer with \"yes\" or \"no\".\nCosts are in $USD; a # here is not a comment.", m.System);
            Assert.Equal("qwen3-coder", m.Renderer);
            Assert.Equal("qwen3-coder", m.Parser);
            Assert.Equal("0.14.0", m.Requires);
            Assert.Equal(8192L, m.GetParameter("num_ctx"));
            Assert.Equal(0.2, m.GetParameter("temperature"));
            Assert.Equal(false, m.GetParameter("use_mmap"));
            Assert.Equal(new[] { "<|im_end|>", "<|im_start|>" }, (string[])m.GetParameter("stop")!);
            Assert.Equal(new[] { "system", "user", "assistant" }, m.Messages.Select(x => x.Role));
            Assert.Equal("Is Toronto in Canada?", m.Messages[1].Content);
            Assert.Equal("Yes.\nToronto is in Ontario.", m.Messages[2].Content);
            Assert.Equal(new[] { "Apache-2.0", "Second license\nwith two lines." }, m.Licenses);
            Assert.Equal(Enum.GetValues(typeof(ModelfileInstructionKind)).Length, m.Instructions.Select(i => i.Kind).Distinct().Count());
        }

        [Fact]
        public void WindowsLineEndingsAndBom()
        {
            var m = ModelfileParser.ParseFile(Valid("windows-crlf.modelfile"));
            Assert.Equal(".\\models\\mistral-7b-instruct.Q4_K_M.gguf", m.From);
            Assert.Equal("<s>[INST] {{ if .System }}{{ .System }}\n\n{{ end }}{{ .Prompt }} [/INST]", m.Template);
            Assert.DoesNotContain("\r", m.Template);
            Assert.Equal("You are a Windows admin's helper.", m.System);
            Assert.Equal(4096L, m.GetParameter("num_ctx"));
            Assert.Equal(1, m.Instructions[0].Column);
        }

        [Fact]
        public void Utf16WithBom()
        {
            var m = ModelfileParser.ParseFile(Valid("utf16-bom.modelfile"));
            Assert.Equal("qwen2.5:0.5b", m.From);
            Assert.Equal("Répondez en français, s'il vous plaît.", m.System);
            Assert.Equal(20L, m.GetParameter("top_k"));
        }

        [Fact]
        public void AllParametersTyped()
        {
            var m = ModelfileParser.ParseFile(Valid("all-parameters.modelfile"));
            Assert.Equal(21, m.Parameters.Count);
            Assert.Equal(-1L, m.GetParameter("num_gpu"));
            Assert.Equal(true, m.GetParameter("use_mmap"));
            Assert.Equal(0.01, m.GetParameter("frequency_penalty"));
            Assert.Equal(new[] { "### User: ", "</s>" }, (string[])m.GetParameter("stop")!);
            Assert.All(m.Parameters, p => Assert.Equal(p.Type switch
            {
                ModelfileParameterType.Integer => typeof(long),
                ModelfileParameterType.Float => typeof(double),
                ModelfileParameterType.Boolean => typeof(bool),
                _ => typeof(string),
            }, p.Value.GetType()));
        }

        [Fact]
        public void DeprecatedParametersGiveWarnings()
        {
            var m = ModelfileParser.ParseFile(Valid("deprecated-parameters.modelfile"));
            Assert.Equal(new[] { "temperature" }, m.Parameters.Select(p => p.Name));
            Assert.Equal(new[] { 2, 3, 5 }, m.Warnings.Select(w => w.Line));
            Assert.All(m.Warnings, w => Assert.Equal(m.SourcePath, w.SourcePath));
        }

        [Theory]
        [InlineData("unterminated-triple.modelfile", ErrorIds.ModelfileSyntax, 4, 11, "unterminated \"\"\" string started here")]
        [InlineData("unterminated-double.modelfile", ErrorIds.ModelfileSyntax, 2, 8, "unterminated \" string started here")]
        [InlineData("unknown-instruction.modelfile", ErrorIds.ModelfileSyntax, 3, 1, "unknown instruction 'BADCOMMAND'")]
        [InlineData("bad-parameter-value.modelfile", ErrorIds.ModelfileInvalid, 2, 23, "invalid float value 'warm' for parameter 'temperature'")]
        [InlineData("unknown-parameter.modelfile", ErrorIds.ModelfileInvalid, 2, 11, "did you mean 'temperature'?")]
        [InlineData("bad-role.modelfile", ErrorIds.ModelfileInvalid, 3, 9, "message role must be one of")]
        [InlineData("missing-from.modelfile", ErrorIds.ModelfileInvalid, 1, 1, "no FROM instruction")]
        [InlineData("empty.modelfile", ErrorIds.ModelfileInvalid, 1, 1, "the Modelfile is empty")]
        [InlineData("bad-requires.modelfile", ErrorIds.ModelfileInvalid, 3, 10, "requires must be a valid semver")]
        [InlineData("parameter-without-value.modelfile", ErrorIds.ModelfileSyntax, 2, 15, "expected a value after parameter 'stop'")]
        [InlineData("bare-template.modelfile", ErrorIds.ModelfileSyntax, 2, 9, "expected a value after TEMPLATE")]
        public void BrokenFiles(string file, string errorId, int line, int column, string reason)
        {
            string path = Broken(file);
            var e = Assert.Throws<ModelfileException>(() => ModelfileParser.ParseFile(path));
            Assert.Equal(errorId, e.ErrorId);
            Assert.Equal((line, column), (e.Line, e.Column));
            Assert.Contains(reason, e.Message);
            Assert.StartsWith($"{Path.GetFullPath(path)}: line {line}, column {column}: ", e.Message);
        }

        [Fact]
        public void EveryBrokenFileIsCovered()
        {
            var names = Directory.GetFiles(Path.Combine(Root, "modelfiles", "invalid"), "*.modelfile").Select(Path.GetFileName);
            Assert.Equal(11, names.Count());
        }
    }
}
