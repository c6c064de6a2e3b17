using System;
using System.IO;
using System.Linq;
using System.Text;
using Kapsule.Modelfile;
using Xunit;

namespace Kapsule.Tests.Modelfile
{
    public class ModelfileParserTests
    {
        private static KapsuleModelfile P(string text, string? source = null) => ModelfileParser.Parse(text, source);

        [Fact]
        public void SeedStyleTemplateIsKeptLiterally()
        {
            var m = P("FROM ./test.gguf\nTEMPLATE \"\"\"[INST] {{ .System }} {{ .Prompt }} [/INST]\"\"\"\nPARAMETER stop [INST]\nPARAMETER stop [/INST]");
            Assert.Equal("./test.gguf", m.From);
            Assert.Equal("[INST] {{ .System }} {{ .Prompt }} [/INST]", m.Template);
            Assert.Equal(new[] { "[INST]", "[/INST]" }, (string[])m.GetParameter("stop")!);
        }

        [Theory]
        [InlineData("FROM llama3", "llama3")]
        [InlineData("from llama3", "llama3")]
        [InlineData("From llama3:7b-instruct-q4_K_M", "llama3:7b-instruct-q4_K_M")]
        [InlineData("FROM     FOOO BAR    ", "FOOO BAR")]
        [InlineData("FROM /what/is/the path ", "/what/is/the path")]
        [InlineData("FROM \"     model 1\"", "     model 1")]
        [InlineData("FROM \"FOO  BAR  \"", "FOO  BAR  ")]
        [InlineData("FROM\tllama3", "llama3")]
        [InlineData("   FROM llama3", "llama3")]
        public void From(string text, string expected)
        {
            Assert.Equal(expected, P(text).From);
        }

        [Fact]
        public void SecondFromIsKeptAsAdditional()
        {
            var m = P("FROM ./model.gguf\nFROM ./mmproj.gguf\nFROM ./third.gguf");
            Assert.Equal("./model.gguf", m.From);
            Assert.Equal(new[] { "./mmproj.gguf", "./third.gguf" }, m.AdditionalFrom);
            Assert.Equal(new[] { "./model.gguf", "./mmproj.gguf", "./third.gguf" }, m.AllFrom);
        }

        [Fact]
        public void FromNeedNotComeFirst()
        {
            var m = P("PARAMETER top_k 3\nFROM foo");
            Assert.Equal("foo", m.From);
            Assert.Equal(3L, m.GetParameter("top_k"));
        }

        [Fact]
        public void TemplateSystemAdapterDraftRendererParserRequiresLastWins()
        {
            var m = P(string.Join("\n",
                "FROM base",
                "TEMPLATE one", "TEMPLATE two",
                "SYSTEM s1", "SYSTEM s2",
                "ADAPTER ./a1.gguf", "ADAPTER ./a2",
                "DRAFT ./d1", "DRAFT ./d2",
                "RENDERER r1", "RENDERER r2",
                "PARSER p1", "PARSER p2",
                "REQUIRES 0.1.0", "REQUIRES v0.14.2"));
            Assert.Equal("two", m.Template);
            Assert.Equal("s2", m.System);
            Assert.Equal("./a2", m.Adapter);
            Assert.Equal("./d2", m.Draft);
            Assert.Equal("r2", m.Renderer);
            Assert.Equal("p2", m.Parser);
            Assert.Equal("0.14.2", m.Requires);
            var warning = Assert.Single(m.Warnings);
            Assert.Equal(9, warning.Line);
            Assert.Contains("DRAFT is given more than once", warning.Message);
        }

        [Fact]
        public void LicenseMessageAndStopAccumulate()
        {
            var m = P(string.Join("\n",
                "FROM foo",
                "LICENSE MIT",
                "MESSAGE system You are a file parser. Always parse things.",
                "PARAMETER stop a",
                "LICENSE \"\"\"Second",
                "license\"\"\"",
                "MESSAGE user Hey there!",
                "PARAMETER stop b",
                "MESSAGE assistant Hello, I want to parse all the things!",
                "PARAMETER stop c"));
            Assert.Equal(new[] { "MIT", "Second\nlicense" }, m.Licenses);
            Assert.Equal(new[] { "system", "user", "assistant" }, m.Messages.Select(x => x.Role));
            Assert.Equal("You are a file parser. Always parse things.", m.Messages[0].Content);
            Assert.Equal("Hey there!", m.Messages[1].Content);
            Assert.Equal(new[] { "a", "b", "c" }, (string[])m.GetParameter("stop")!);
            Assert.Equal(3, m.Messages[0].Line);
        }

        [Fact]
        public void MultilineMessage()
        {
            var m = P("FROM foo\nMESSAGE system \"\"\"\nYou are a multiline file parser. Always parse things.\n\"\"\"\n\t\t\t");
            var msg = Assert.Single(m.Messages);
            Assert.Equal("\nYou are a multiline file parser. Always parse things.\n", msg.Content);
        }

        // Ollama's TestParseFileQuoted, case by case.
        [Theory]
        [InlineData("SYSTEM \"\"\"\nThis is a\nmultiline system.\n\"\"\"\n\t\t\t", "\nThis is a\nmultiline system.\n")]
        [InlineData("SYSTEM \"\"\"\nThis is a\nmultiline system.\"\"\"\n\t\t\t", "\nThis is a\nmultiline system.")]
        [InlineData("SYSTEM \"\"\"This is a\nmultiline system.\"\"\"", "This is a\nmultiline system.")]
        [InlineData("SYSTEM \"\"\"This is a multiline system.\"\"\"", "This is a multiline system.")]
        [InlineData("SYSTEM \"\"\"\nThis is a multiline system with \"quotes\".\n\"\"\"\n", "\nThis is a multiline system with \"quotes\".\n")]
        [InlineData("SYSTEM \"\"\"\"\"\"", "")]
        [InlineData("SYSTEM \"\"", "")]
        [InlineData("SYSTEM \"'\"", "'")]
        [InlineData("SYSTEM \"\"\"''\"'\"\"'\"\"'\"'''''\"\"'\"\"'\"\"\"", "''\"'\"\"'\"\"'\"'''''\"\"'\"\"'")]
        [InlineData("SYSTEM \"You say \"hi\" to\neveryone\"", "You say \"hi\" to\neveryone")]
        [InlineData("SYSTEM \"a\" b \"c\"", "a\" b \"c")]
        [InlineData("SYSTEM \"\"\"a\"\"\"b\nc\"\"\"", "a\"\"\"b\nc")]
        [InlineData("SYSTEM \"\"\"   padded   \"\"\"    ", "   padded   ")]
        [InlineData("SYSTEM ", "")]
        [InlineData("SYSTEM \t ", "")]
        [InlineData("SYSTEM It costs $5 # not a comment {{ .Prompt }}", "It costs $5 # not a comment {{ .Prompt }}")]
        [InlineData("SYSTEM ends with \\", "ends with \\")]
        [InlineData("SYSTEM \"\\n is not an escape\"", "\\n is not an escape")]
        public void QuotedValuesFollowOllama(string line, string expected)
        {
            var m = P("FROM foo\n" + line);
            Assert.Equal(expected, m.System);
        }

        [Fact]
        public void TemplateAtEndOfFileWithoutNewline()
        {
            Assert.Equal("\n{{ .Prompt }}\n", P("FROM foo\nTEMPLATE \"\"\"\n{{ .Prompt }}\n\"\"\"").Template);
        }

        [Fact]
        public void LlamaTemplateWithTrailingSpaces()
        {
            string tpl = "{{ if .System }}<|start_header_id|>system<|end_header_id|>\n\n{{ .System }}<|eot_id|>{{ end }}";
            var m = P("FROM model1\nTEMPLATE \"\"\"" + tpl + "\"\"\"    \n");
            Assert.Equal(tpl, m.Template);
        }

        [Fact]
        public void CommentsOnlyWhereAnInstructionMayStart()
        {
            var m = P("# comment\n   # indented comment\nFROM foo # not a comment\n#FROM bar\nSYSTEM \"\"\"\n# inside a value\n\"\"\"");
            Assert.Equal("foo # not a comment", m.From);
            Assert.Equal("\n# inside a value\n", m.System);
            Assert.Equal(2, m.Instructions.Count);
        }

        [Fact]
        public void CrLfAndLoneCrAreLineEnds()
        {
            var m = P("FROM foo\r\nSYSTEM \"\"\"a\r\nb\rc\"\"\"\r\nPARAMETER top_k 5\r\n");
            Assert.Equal("a\nb\nc", m.System);
            Assert.Equal(5L, m.GetParameter("top_k"));
            Assert.Equal(5, m.Instructions[2].Line); // a lone CR ends a line too
        }

        [Fact]
        public void Utf8BomIsRemovedAndColumnsStartAfterIt()
        {
            var m = P("\uFEFFFROM foo\nPARAMETER top_k 5");
            Assert.Equal("foo", m.From);
            Assert.Equal(1, m.Instructions[0].Column);
        }

        [Fact]
        public void StreamWithUtf16BomIsDecoded()
        {
            var bytes = new UnicodeEncoding(false, true).GetPreamble()
                .Concat(Encoding.Unicode.GetBytes("FROM foo\nSYSTEM Grüße\n")).ToArray();
            var m = ModelfileParser.Parse(new MemoryStream(bytes));
            Assert.Equal("Grüße", m.System);
        }

        [Fact]
        public void PositionsAreRecorded()
        {
            var m = P("# header\n\nFROM foo\n  PARAMETER   temperature   0.5\nMESSAGE user \"\"\"hi\nthere\"\"\"\nLICENSE MIT");
            var from = m.Instructions[0];
            Assert.Equal((3, 1, 3, 6), (from.Line, from.Column, from.ValueLine, from.ValueColumn));
            var param = m.Instructions[1];
            Assert.Equal((4, 3, 4, 29), (param.Line, param.Column, param.ValueLine, param.ValueColumn));
            Assert.Equal("temperature", param.Name);
            Assert.Equal("0.5", param.Value);
            Assert.Equal((4, 3), (m.Parameters[0].Line, m.Parameters[0].Column));
            var msg = m.Instructions[2];
            Assert.Equal(ModelfileQuoting.Triple, msg.Quoting);
            Assert.Equal((5, 14), (msg.ValueLine, msg.ValueColumn));
            Assert.Equal(7, m.Instructions[3].Line);
            Assert.Equal(7, m.FindInstruction(ModelfileInstructionKind.License)!.Line);
        }

        [Theory]
        [InlineData("num_ctx", "4096", 4096L)]
        [InlineData("seed", "-1", -1L)]
        [InlineData("top_k", "+40", 40L)]
        [InlineData("num_predict", "9223372036854775807", long.MaxValue)]
        [InlineData("main_gpu", "0", 0L)]
        [InlineData("draft_num_predict", "4", 4L)]
        public void IntegerParameters(string name, string text, long expected)
        {
            var p = Assert.Single(P($"FROM foo\nPARAMETER {name} {text}").Parameters);
            Assert.Equal(ModelfileParameterType.Integer, p.Type);
            Assert.IsType<long>(p.Value);
            Assert.Equal(expected, p.Value);
        }

        [Theory]
        [InlineData("temperature", "0.8", 0.8)]
        [InlineData("top_p", "1", 1.0)]
        [InlineData("min_p", ".05", 0.05)]
        [InlineData("typical_p", "1.", 1.0)]
        [InlineData("repeat_penalty", "1e-2", 0.01)]
        [InlineData("presence_penalty", "-1.5E+1", -15.0)]
        [InlineData("frequency_penalty", "0", 0.0)]
        public void FloatParameters(string name, string text, double expected)
        {
            var p = Assert.Single(P($"FROM foo\nPARAMETER {name} {text}").Parameters);
            Assert.Equal(ModelfileParameterType.Float, p.Type);
            Assert.IsType<double>(p.Value);
            Assert.Equal(expected, (double)p.Value);
        }

        [Theory]
        [InlineData("true", true)]
        [InlineData("True", true)]
        [InlineData("TRUE", true)]
        [InlineData("t", true)]
        [InlineData("1", true)]
        [InlineData("false", false)]
        [InlineData("F", false)]
        [InlineData("0", false)]
        public void BooleanParameters(string text, bool expected)
        {
            var p = Assert.Single(P($"FROM foo\nPARAMETER use_mmap {text}").Parameters);
            Assert.Equal(ModelfileParameterType.Boolean, p.Type);
            Assert.Equal(expected, p.Value);
        }

        // Ollama's TestParseFileParameters, the stop rows.
        [Theory]
        [InlineData("stop ### User:", "### User:")]
        [InlineData("stop ### User: ", "### User:")]
        [InlineData("stop \"### User:\"", "### User:")]
        [InlineData("stop \"### User: \"", "### User: ")]
        [InlineData("stop \"\"\"### User:\"\"\"", "### User:")]
        [InlineData("stop \"\"\"### User:\n\"\"\"", "### User:\n")]
        [InlineData("stop <|endoftext|>", "<|endoftext|>")]
        [InlineData("stop </s>", "</s>")]
        [InlineData("param1        value1", null)]
        public void StopParameter(string line, string? expected)
        {
            if (expected is null)
            {
                Assert.Throws<ModelfileException>(() => P("FROM foo\nPARAMETER " + line));
                return;
            }
            var p = Assert.Single(P("FROM foo\nPARAMETER " + line + "\n").Parameters);
            Assert.Equal(ModelfileParameterType.StringList, p.Type);
            Assert.Equal(expected, p.Value);
        }

        [Fact]
        public void EveryTableParameterParses()
        {
            foreach (var info in ModelfileParameterTable.All.Where(i => !i.Deprecated))
            {
                string text = info.Type switch
                {
                    ModelfileParameterType.Integer => "7",
                    ModelfileParameterType.Float => "0.25",
                    ModelfileParameterType.Boolean => "true",
                    _ => "<|end|>",
                };
                var m = P($"FROM foo\nPARAMETER {info.Name} {text}");
                var p = Assert.Single(m.Parameters);
                Assert.Equal(info.Name, p.Name);
                Assert.Equal(text, p.ValueText);
            }
            Assert.Equal(20, ModelfileParameterTable.All.Count(i => !i.Deprecated));
        }

        [Fact]
        public void DeprecatedParametersWarnAndAreDropped()
        {
            var m = P("FROM mistral\nPARAMETER mirostat 2\nPARAMETER temperature 0.7\nPARAMETER penalize_newline whatever", "/models/Modelfile");
            Assert.Equal(new[] { "temperature" }, m.Parameters.Select(p => p.Name));
            Assert.Equal(2, m.Warnings.Count);
            Assert.Equal((2, 11), (m.Warnings[0].Line, m.Warnings[0].Column));
            Assert.Equal("/models/Modelfile: line 2, column 11: parameter 'mirostat' is deprecated; Ollama ignores it, so it is dropped",
                m.Warnings[0].ToString());
            Assert.Contains("'penalize_newline'", m.Warnings[1].Message);
        }

        [Fact]
        public void ScalarParameterRepeatedLastWinsInLookupButListKeepsBoth()
        {
            var m = P("FROM foo\nPARAMETER temperature 0.1\nPARAMETER top_k 3\nPARAMETER temperature 0.9\nPARAMETER stop x");
            Assert.Equal(0.9, m.GetParameter("temperature"));
            Assert.Equal(new object[] { 0.1, 0.9 }, m.GetParameterValues("temperature"));
            Assert.Null(m.GetParameter("num_ctx"));
            var dict = m.ToParameterDictionary();
            Assert.Equal(new[] { "stop", "temperature", "top_k" }, dict.Keys);
            Assert.Equal(new[] { "x" }, (string[])dict["stop"]);
        }

        [Fact]
        public void RequiresAcceptsWhatGoSemverAccepts()
        {
            foreach (var v in new[] { "0.14.0", "v0.14.0", "1", "1.2", "1.2.3-rc.1", "1.2.3-rc.1+build.5", "1.0.0+001", "10.20.30-alpha-beta" })
            {
                Assert.NotNull(P("FROM foo\nREQUIRES " + v).Requires);
            }
            Assert.Equal("0.14.0", P("FROM foo\nREQUIRES v0.14.0").Requires);
            foreach (var v in new[] { "latest", "01.2.3", "1.2.3-01", "1.2-rc", "1.2.3.", "1.2.3-", "1.2.3+", "vv1.0.0", "1.2.3-a..b", "" })
            {
                var e = Assert.Throws<ModelfileException>(() => P("FROM foo\nREQUIRES " + v));
                Assert.Equal(ErrorIds.ModelfileInvalid, e.ErrorId);
            }
        }

        [Fact]
        public void SourcePathIsKept()
        {
            var m = P("FROM ./w.gguf", Path.Combine(Path.GetTempPath(), "x", "Modelfile"));
            Assert.Equal(Path.Combine(Path.GetTempPath(), "x"), m.BaseDirectory);
        }
    }
}
