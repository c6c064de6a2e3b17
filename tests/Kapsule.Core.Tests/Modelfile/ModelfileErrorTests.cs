using System;
using System.IO;
using Kapsule.Modelfile;
using Xunit;

namespace Kapsule.Tests.Modelfile
{
    public class ModelfileErrorTests
    {
        private const string Syntax = ErrorIds.ModelfileSyntax;
        private const string Invalid = ErrorIds.ModelfileInvalid;

        private static ModelfileException Fail(string text, string? source = null)
            => Assert.Throws<ModelfileException>(() => ModelfileParser.Parse(text, source));

        [Theory]
        // unterminated strings: reported at the opening quote
        [InlineData("FROM m\nPARAMETER top_k 1\n\nTEMPLATE  \"\"\"[INST] {{ .Prompt }}\nPARAMETER stop x\n", Syntax, 4, 11,
            "unterminated \"\"\" string started here; a quoted value ends at a \"\"\" that ends a line")]
        [InlineData("FROM foo\nSYSTEM \"\"\"This is a multiline system.\"\"\n", Syntax, 2, 8, "unterminated \"\"\" string started here")]
        [InlineData("FROM foo\nSYSTEM \"\n", Syntax, 2, 8, "unterminated \" string started here")]
        [InlineData("FROM foo\nSYSTEM \"hello\" world", Syntax, 2, 8, "unterminated \" string started here")]
        [InlineData("FROM foo\nMESSAGE user \"\"\"\"", Syntax, 2, 14, "unterminated \"\"\" string started here")]
        // instructions
        [InlineData("FROM foo\nBADCOMMAND param1 value1\n", Syntax, 2, 1,
            "unknown instruction 'BADCOMMAND'; expected FROM, PARAMETER, TEMPLATE, SYSTEM, ADAPTER, LICENSE, MESSAGE, REQUIRES, DRAFT, RENDERER or PARSER")]
        [InlineData("FROM foo\n  1FROM bar", Syntax, 2, 3, "expected an instruction (FROM, PARAMETER, TEMPLATE, SYSTEM, ADAPTER, LICENSE, MESSAGE, REQUIRES, DRAFT, RENDERER or PARSER) or a # comment, found '1'")]
        [InlineData("FROM:llama3", Syntax, 1, 5, "expected a space after FROM, found ':'")]
        [InlineData("FROM foo\nTEMPLATE\n", Syntax, 2, 9, "expected a value after TEMPLATE; a value that spans lines must be quoted with \"\"\"")]
        [InlineData("FROM", Syntax, 1, 5, "expected a value after FROM")]
        // PARAMETER
        [InlineData("FROM foo\nPARAMETER param1", Syntax, 2, 17, "expected a value after parameter 'param1'")]
        [InlineData("FROM foo\nPARAMETER stop\n", Syntax, 2, 15, "expected a value after parameter 'stop'")]
        [InlineData("FROM foo\nPARAMETER\n", Syntax, 2, 10, "expected a parameter name after PARAMETER")]
        [InlineData("FROM foo\nPARAMETER -x 1", Syntax, 2, 11, "expected a parameter name (letters, digits and '_') after PARAMETER, found '-'")]
        [InlineData("FROM foo\nPARAMETER top-k 1", Syntax, 2, 14, "unexpected '-' in parameter name 'top'; a name uses letters, digits and '_'")]
        [InlineData("FROM foo\nPARAMETER numa true", Invalid, 2, 11, "unknown parameter 'numa'")]
        [InlineData("FROM foo\nPARAMETER Temperature 1", Invalid, 2, 11, "unknown parameter 'Temperature'; parameter names are case-sensitive: did you mean 'temperature'?")]
        [InlineData("FROM foo\nPARAMETER temperature warm", Invalid, 2, 23, "invalid float value 'warm' for parameter 'temperature': expected a number such as 0.8")]
        [InlineData("FROM foo\nPARAMETER temperature NaN", Invalid, 2, 23, "invalid float value 'NaN'")]
        [InlineData("FROM foo\nPARAMETER temperature 1e39", Invalid, 2, 23, "out of range for a 32-bit float")]
        [InlineData("FROM foo\nPARAMETER num_ctx 2048.5", Invalid, 2, 19, "invalid int value '2048.5' for parameter 'num_ctx': expected a whole number such as 4096")]
        [InlineData("FROM foo\nPARAMETER num_ctx 99999999999999999999", Invalid, 2, 19, "out of range for a 64-bit integer")]
        [InlineData("FROM foo\nPARAMETER use_mmap yes", Invalid, 2, 20, "invalid bool value 'yes' for parameter 'use_mmap': expected true or false")]
        [InlineData("FROM foo\nPARAMETER   top_k    \"\"\"12 \"\"\" ", Invalid, 2, 22, "invalid int value '12 ' for parameter 'top_k'")]
        [InlineData("FROM foo\nPARAMETER top_k \"1 2\"", Invalid, 2, 17, "invalid int value '1 2'")]
        // MESSAGE
        [InlineData("FROM foo\nMESSAGE badguy I'm a bad guy!", Invalid, 2, 9, "message role must be one of \"system\", \"user\", or \"assistant\" (lowercase), not 'badguy'")]
        [InlineData("FROM foo\nMESSAGE User Hi", Invalid, 2, 9, "not 'User'")]
        [InlineData("FROM foo\nMESSAGE system\n", Syntax, 2, 15, "expected the message after role 'system'")]
        [InlineData("FROM foo\nMESSAGE system", Syntax, 2, 15, "expected the message after role 'system'")]
        [InlineData("FROM foo\nMESSAGE\n", Syntax, 2, 8, "expected a role (system, user or assistant) after MESSAGE")]
        [InlineData("FROM foo\nMESSAGE sys:tem hi", Syntax, 2, 12, "unexpected ':' in message role 'sys'")]
        // values that must not be empty
        [InlineData("FROM \nSYSTEM x", Invalid, 1, 6, "FROM needs a value: a model name or a path to weights")]
        [InlineData("FROM foo\nADAPTER \"\"", Invalid, 2, 9, "ADAPTER needs a value")]
        [InlineData("FROM foo\nDRAFT   ", Invalid, 2, 9, "DRAFT needs a value")]
        [InlineData("FROM foo\nRENDERER \"\"\"\"\"\"", Invalid, 2, 10, "RENDERER needs a value")]
        [InlineData("FROM foo\nPARSER  ", Invalid, 2, 9, "PARSER needs a value")]
        [InlineData("FROM foo\nREQUIRES latest", Invalid, 2, 10, "requires must be a valid semver (e.g. 0.14.0), not 'latest'")]
        // no FROM
        [InlineData("", Invalid, 1, 1, "the Modelfile is empty; expected at least a FROM instruction")]
        [InlineData("\n  \n# only a comment\n", Invalid, 1, 1, "the Modelfile is empty")]
        [InlineData("PARAMETER param1 value1", Invalid, 1, 11, "unknown parameter 'param1'")]
        [InlineData("PARAMETER top_k 1\nSYSTEM hi", Invalid, 1, 1, "no FROM instruction; a Modelfile must name its base model or weights with FROM <model name or path>")]
        public void ErrorsCarryIdLineColumnAndExpectation(string text, string errorId, int line, int column, string reason)
        {
            var e = Fail(text);
            Assert.Equal(errorId, e.ErrorId);
            Assert.Equal((line, column), (e.Line, e.Column));
            Assert.Contains(reason, e.Reason);
            Assert.StartsWith($"line {line}, column {column}: ", e.Message);
            Assert.Equal(KapsuleErrorKind.InvalidData, e.Kind);
        }

        [Fact]
        public void MessageMatchesTheIssueExample()
        {
            var e = Fail("FROM m\nPARAMETER top_k 1\n\nTEMPLATE  \"\"\"[INST] {{ .Prompt }}\n", "/m/Modelfile");
            Assert.StartsWith("/m/Modelfile: line 4, column 11: unterminated \"\"\" string started here", e.Message);
            Assert.Equal("/m/Modelfile", e.SourcePath);
            Assert.Equal("/m/Modelfile", e.Target);
        }

        [Fact]
        public void ColumnsCountAfterCrLfAndBom()
        {
            var e = Fail("\uFEFFFROM foo\r\nPARAMETER top_k x\r\n");
            Assert.Equal((2, 17), (e.Line, e.Column));
        }

        [Fact]
        public void FirstErrorInFileOrderWins()
        {
            var e = Fail("PARAMETER top_k x\nBOGUS y\n");
            Assert.Equal((1, 17), (e.Line, e.Column));
        }

        [Fact]
        public void MissingFileIsNotFound()
        {
            string path = Path.Combine(Path.GetTempPath(), "kapsule-no-such-" + Guid.NewGuid().ToString("N"), "Modelfile");
            var e = Assert.Throws<KapsuleException>(() => ModelfileParser.ParseFile(path));
            Assert.Equal(ErrorIds.ModelfileNotFound, e.ErrorId);
            Assert.Equal(KapsuleErrorKind.ObjectNotFound, e.Kind);
            Assert.Contains("does not exist", e.Message);
        }

        [Fact]
        public void FolderIsNotAModelfile()
        {
            var e = Assert.Throws<KapsuleException>(() => ModelfileParser.ParseFile(Path.GetTempPath()));
            Assert.Equal(ErrorIds.ModelfileNotFound, e.ErrorId);
            Assert.Contains("is a folder", e.Message);
        }

        [Fact]
        public void ParameterObjectsRejectUnknownDeprecatedAndMistypedValues()
        {
            Assert.Equal(ErrorIds.ModelfileInvalid, Assert.Throws<KapsuleException>(() => new ModelfileParameter("Temperature", 0.5)).ErrorId);
            Assert.Contains("deprecated", Assert.Throws<KapsuleException>(() => new ModelfileParameter("mirostat", 1)).Message);
            Assert.Contains("expected a whole number", Assert.Throws<KapsuleException>(() => new ModelfileParameter("num_ctx", 1.5)).Message);
            Assert.Contains("finite", Assert.Throws<KapsuleException>(() => new ModelfileParameter("temperature", double.NaN)).Message);
            Assert.Contains("expected true or false", Assert.Throws<KapsuleException>(() => new ModelfileParameter("use_mmap", 1)).Message);
            Assert.Contains("expected a string", Assert.Throws<KapsuleException>(() => new ModelfileParameter("stop", 1)).Message);
            Assert.Equal(4096L, new ModelfileParameter("num_ctx", 4096).Value);
            Assert.Equal(4096L, new ModelfileParameter("num_ctx", "4096").Value);
            Assert.Equal(0.5, new ModelfileParameter("temperature", 0.5f).Value);
            Assert.Equal(1.0, new ModelfileParameter("temperature", 1).Value);
            Assert.Equal(true, new ModelfileParameter("use_mmap", "T").Value);
            Assert.Contains("not 'bot'", Assert.Throws<KapsuleException>(() => new ModelfileMessage("bot", "x")).Message);
        }
    }
}
