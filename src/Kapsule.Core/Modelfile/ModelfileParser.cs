using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using Sprache;

namespace Kapsule.Modelfile
{
    /// <summary>
    /// Parses Ollama's Modelfile into a <see cref="KapsuleModelfile"/>, following Ollama's parser
    /// (parser/parser.go) and adding types and exact positions. The first error stops the parse.
    /// </summary>
    /// <remarks>
    /// Differences from Ollama, on purpose: CRLF and lone CR inside multi-line values become LF (so a template
    /// checked out with Windows line endings gives the same bytes); characters Go's parser silently drops
    /// (non-printable runes) are kept; PARAMETER values are typed at parse time, not at create time; float
    /// values must be plain decimals (Ollama also takes inf, nan and hex floats); a keyword followed directly by
    /// the line end is an error that asks for a value (Ollama says the command is invalid).
    /// </remarks>
    public static class ModelfileParser
    {
        private static readonly Dictionary<string, ModelfileInstructionKind> Keywords =
            new Dictionary<string, ModelfileInstructionKind>(StringComparer.OrdinalIgnoreCase)
            {
                ["from"] = ModelfileInstructionKind.From,
                ["parameter"] = ModelfileInstructionKind.Parameter,
                ["template"] = ModelfileInstructionKind.Template,
                ["system"] = ModelfileInstructionKind.System,
                ["adapter"] = ModelfileInstructionKind.Adapter,
                ["license"] = ModelfileInstructionKind.License,
                ["message"] = ModelfileInstructionKind.Message,
                ["requires"] = ModelfileInstructionKind.Requires,
                ["draft"] = ModelfileInstructionKind.Draft,
                ["renderer"] = ModelfileInstructionKind.Renderer,
                ["parser"] = ModelfileInstructionKind.Parser,
            };

        internal const string KeywordList = "FROM, PARAMETER, TEMPLATE, SYSTEM, ADAPTER, LICENSE, MESSAGE, REQUIRES, DRAFT, RENDERER or PARSER";

        /// <summary>Reads a Modelfile from disk (UTF-8, or UTF-16 with a BOM) and parses it.</summary>
        /// <exception cref="KapsuleException">KapsuleModelfileNotFound when the file does not exist.</exception>
        /// <exception cref="ModelfileException">KapsuleModelfileSyntax or KapsuleModelfileInvalid.</exception>
        public static KapsuleModelfile ParseFile(string path)
        {
            if (path is null) throw new ArgumentNullException(nameof(path));
            string full = Path.GetFullPath(path);
            if (!File.Exists(full))
            {
                string what = Directory.Exists(full) ? "is a folder, not a Modelfile" : "does not exist";
                throw new KapsuleException(ErrorIds.ModelfileNotFound, KapsuleErrorKind.ObjectNotFound,
                    $"The Modelfile '{full}' {what}.") { Target = full };
            }
            using var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read);
            return Parse(stream, full);
        }

        /// <summary>Parses a Modelfile from a stream (UTF-8 by default; a UTF-8 or UTF-16 BOM is honoured and removed).</summary>
        public static KapsuleModelfile Parse(Stream stream, string? sourcePath = null)
        {
            if (stream is null) throw new ArgumentNullException(nameof(stream));
            using var reader = new StreamReader(stream, new UTF8Encoding(false, false), detectEncodingFromByteOrderMarks: true);
            return Parse(reader.ReadToEnd(), sourcePath);
        }

        /// <summary>
        /// Parses Modelfile text. <paramref name="sourcePath"/> names the file in errors and warnings and is kept
        /// on the result as <see cref="KapsuleModelfile.SourcePath"/> (FROM paths are relative to its folder).
        /// </summary>
        public static KapsuleModelfile Parse(string content, string? sourcePath = null)
        {
            if (content is null) throw new ArgumentNullException(nameof(content));
            var run = new Run(Normalize(content), sourcePath);
            return run.Execute();
        }

        /// <summary>Removes a leading BOM and turns CRLF and lone CR into LF.</summary>
        internal static string Normalize(string content)
        {
            if (content.Length > 0 && content[0] == '\uFEFF') content = content.Substring(1);
            return NormalizeLineEnds(content);
        }

        /// <summary>Turns CRLF and lone CR into LF.</summary>
        internal static string NormalizeLineEnds(string content)
            => content.IndexOf('\r') >= 0 ? content.Replace("\r\n", "\n").Replace('\r', '\n') : content;

        internal static string Describe(IInput at)
        {
            if (at.AtEnd) return "the end of the file";
            char c = at.Current;
            if (c == '\n') return "the end of the line";
            if (char.IsControl(c) || char.IsWhiteSpace(c)) return "U+" + ((int)c).ToString("X4", CultureInfo.InvariantCulture);
            return "'" + c + "'";
        }

        private sealed class Run
        {
            private readonly string _text;
            private readonly string? _source;
            private readonly KapsuleModelfile _model;
            private bool _sawDraft;

            public Run(string text, string? source)
            {
                _text = text;
                _source = source;
                _model = new KapsuleModelfile { SourcePath = source };
            }

            private ModelfileException Syntax(IInput at, string reason)
                => new ModelfileException(ErrorIds.ModelfileSyntax, reason, _source, at.Line, at.Column);

            private ModelfileException Invalid(int line, int column, string reason)
                => new ModelfileException(ErrorIds.ModelfileInvalid, reason, _source, line, column);

            public KapsuleModelfile Execute()
            {
                IInput input = new Input(_text);
                while (true)
                {
                    input = ModelfileGrammar.Trivia(input).Remainder;
                    if (input.AtEnd) break;
                    input = Instruction(input);
                }

                if (_model.Instructions.Count == 0)
                {
                    throw Invalid(1, 1, "the Modelfile is empty; expected at least a FROM instruction (FROM <model name or path>)");
                }
                if (_model.From is null)
                {
                    throw Invalid(1, 1, "no FROM instruction; a Modelfile must name its base model or weights with FROM <model name or path>");
                }
                return _model;
            }

            private IInput Instruction(IInput start)
            {
                var keyword = ModelfileGrammar.Keyword(start);
                if (!keyword.WasSuccessful)
                {
                    throw Syntax(start, $"expected an instruction ({KeywordList}) or a # comment, found {Describe(start)}");
                }
                if (!Keywords.TryGetValue(keyword.Value, out var kind))
                {
                    throw Syntax(start, $"unknown instruction '{keyword.Value}'; expected {KeywordList}");
                }
                string upper = keyword.Value.ToUpperInvariant();
                IInput at = keyword.Remainder;
                var sep = ModelfileGrammar.Separator(at);
                if (!sep.WasSuccessful)
                {
                    if (at.AtEnd || at.Current == '\n')
                    {
                        throw Syntax(at, kind switch
                        {
                            ModelfileInstructionKind.Parameter => "expected a parameter name after PARAMETER",
                            ModelfileInstructionKind.Message => "expected a role (system, user or assistant) after MESSAGE",
                            _ => $"expected a value after {upper}; a value that spans lines must be quoted with \"\"\"",
                        });
                    }
                    throw Syntax(at, $"expected a space after {upper}, found {Describe(at)}");
                }
                at = sep.Remainder;

                string? name = null;
                int nameLine = 0, nameColumn = 0;
                if (kind == ModelfileInstructionKind.Parameter || kind == ModelfileInstructionKind.Message)
                {
                    bool isParameter = kind == ModelfileInstructionKind.Parameter;
                    var nameResult = isParameter ? ModelfileGrammar.ParameterName(at) : ModelfileGrammar.Role(at);
                    if (!nameResult.WasSuccessful)
                    {
                        throw Syntax(at, isParameter
                            ? $"expected a parameter name (letters, digits and '_') after PARAMETER, found {Describe(at)}"
                            : $"expected a role (system, user or assistant) after MESSAGE, found {Describe(at)}");
                    }
                    name = nameResult.Value;
                    nameLine = at.Line;
                    nameColumn = at.Column;
                    at = nameResult.Remainder;
                    var sep2 = ModelfileGrammar.Separator(at);
                    if (!sep2.WasSuccessful)
                    {
                        if (at.AtEnd || at.Current == '\n')
                        {
                            throw Syntax(at, isParameter
                                ? $"expected a value after parameter '{name}'"
                                : $"expected the message after role '{name}'");
                        }
                        throw Syntax(at, isParameter
                            ? $"unexpected {Describe(at)} in parameter name '{name}'; a name uses letters, digits and '_'"
                            : $"unexpected {Describe(at)} in message role '{name}'; expected system, user or assistant");
                    }
                    at = sep2.Remainder;
                }

                at = ModelfileGrammar.ValueLead(at).Remainder;
                var value = ModelfileGrammar.Value(at);
                if (!value.WasSuccessful)
                {
                    throw Syntax(value.Remainder, value.Message);
                }

                var instruction = new ModelfileInstruction(kind, keyword.Value, name, value.Value.Text, value.Value.Quoting,
                    start.Line, start.Column, at.Line, at.Column);
                _model.Instructions.Add(instruction);
                Apply(instruction, upper, nameLine, nameColumn);
                return value.Remainder;
            }

            private void Apply(ModelfileInstruction ins, string upper, int nameLine, int nameColumn)
            {
                string v = ins.Value;
                switch (ins.Kind)
                {
                    case ModelfileInstructionKind.From:
                        RequireValue(ins, upper, "a model name or a path to weights");
                        if (_model.From is null) _model.From = v;
                        else _model.AdditionalFrom.Add(v);
                        break;
                    case ModelfileInstructionKind.Template:
                        _model.Template = v;
                        break;
                    case ModelfileInstructionKind.System:
                        _model.System = v;
                        break;
                    case ModelfileInstructionKind.Adapter:
                        RequireValue(ins, upper, "a path to a LoRA adapter");
                        _model.Adapter = v;
                        break;
                    case ModelfileInstructionKind.License:
                        _model.Licenses.Add(v);
                        break;
                    case ModelfileInstructionKind.Draft:
                        RequireValue(ins, upper, "a draft model name or path");
                        if (_sawDraft)
                        {
                            _model.Warnings.Add(new ModelfileWarning(
                                "DRAFT is given more than once; the last one wins", _source, ins.Line, ins.Column));
                        }
                        _sawDraft = true;
                        _model.Draft = v;
                        break;
                    case ModelfileInstructionKind.Renderer:
                        RequireValue(ins, upper, "a renderer name");
                        _model.Renderer = v;
                        break;
                    case ModelfileInstructionKind.Parser:
                        RequireValue(ins, upper, "a parser name");
                        _model.Parser = v;
                        break;
                    case ModelfileInstructionKind.Requires:
                        if (!Semver.TryNormalize(v, out var version))
                        {
                            throw Invalid(ins.ValueLine, ins.ValueColumn,
                                $"requires must be a valid semver (e.g. 0.14.0), not '{v}'");
                        }
                        _model.Requires = version;
                        break;
                    case ModelfileInstructionKind.Message:
                        if (!ModelfileMessage.IsValidRole(ins.Name))
                        {
                            throw Invalid(nameLine, nameColumn, ModelfileMessage.RoleMessage(ins.Name));
                        }
                        _model.Messages.Add(new ModelfileMessage(ins.Name!, v, ins.Line, ins.Column));
                        break;
                    case ModelfileInstructionKind.Parameter:
                        ApplyParameter(ins, nameLine, nameColumn);
                        break;
                }
            }

            private void RequireValue(ModelfileInstruction ins, string upper, string what)
            {
                if (ins.Value.Length == 0)
                {
                    throw Invalid(ins.ValueLine, ins.ValueColumn, $"{upper} needs a value: {what}");
                }
            }

            private void ApplyParameter(ModelfileInstruction ins, int nameLine, int nameColumn)
            {
                string name = ins.Name!;
                var info = ModelfileParameterTable.Find(name);
                if (info is null)
                {
                    throw Invalid(nameLine, nameColumn, ModelfileParameter.UnknownParameterMessage(name));
                }
                if (info.Deprecated)
                {
                    _model.Warnings.Add(new ModelfileWarning(
                        $"parameter '{name}' is deprecated; Ollama ignores it, so it is dropped", _source, nameLine, nameColumn));
                    return;
                }
                if (!ModelfileParameterTable.TryParseValue(info.Type, ins.Value, out var typed, out var reason))
                {
                    throw Invalid(ins.ValueLine, ins.ValueColumn,
                        $"invalid {ModelfileParameter.TypeWord(info.Type)} value '{ins.Value}' for parameter '{name}': {reason}");
                }
                _model.Parameters.Add(new ModelfileParameter(name, typed!, ins.Line, ins.Column));
            }
        }
    }
}
