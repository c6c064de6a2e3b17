using System;
using System.IO;
using System.Text;
using Sprache;

namespace Kapsule.Modelfile
{
    /// <summary>
    /// Writes the canonical text of a <see cref="KapsuleModelfile"/>: uppercase keywords, one instruction per line,
    /// LF line ends and a final LF, in the order <c>ollama show --modelfile</c> uses (FROM lines together first,
    /// then ADAPTER, DRAFT, TEMPLATE, SYSTEM, RENDERER, PARSER, REQUIRES, PARAMETERs, LICENSEs, MESSAGEs).
    /// Values are quoted as Ollama quotes them: only when they hold a line break, start or end with white space
    /// (and, beyond Ollama, when empty or starting with a quote), with <c>"""</c> when the value holds a
    /// <c>"</c> and <c>"</c> otherwise; each choice is checked against the parser, so parse(write(m)) equals m.
    /// CR and CRLF inside values are written as LF (the parser reads them so anyway).
    /// </summary>
    public static class ModelfileWriter
    {
        /// <summary>The canonical text.</summary>
        /// <exception cref="KapsuleException">KapsuleModelfileInvalid when the model cannot be written (no FROM, an
        /// empty path, an invalid REQUIRES, a value no quoting can carry).</exception>
        public static string Write(KapsuleModelfile modelfile)
        {
            var sb = new StringBuilder();
            using (var writer = new StringWriter(sb) { NewLine = "\n" })
            {
                Write(modelfile, writer);
            }
            return sb.ToString();
        }

        /// <summary>Writes the canonical text to <paramref name="writer"/>, validating everything first.</summary>
        public static void Write(KapsuleModelfile modelfile, TextWriter writer)
        {
            if (modelfile is null) throw new ArgumentNullException(nameof(modelfile));
            if (writer is null) throw new ArgumentNullException(nameof(writer));
            var sb = new StringBuilder();

            if (string.IsNullOrEmpty(modelfile.From))
            {
                throw Invalid("the Modelfile has no FROM; set From to a model name or a path to weights");
            }
            Line(sb, "FROM", modelfile.From!);
            foreach (var extra in modelfile.AdditionalFrom)
            {
                if (string.IsNullOrEmpty(extra)) throw Invalid("an AdditionalFrom entry is empty");
                Line(sb, "FROM", extra);
            }
            Optional(sb, "ADAPTER", modelfile.Adapter, mayBeEmpty: false);
            Optional(sb, "DRAFT", modelfile.Draft, mayBeEmpty: false);
            Optional(sb, "TEMPLATE", modelfile.Template, mayBeEmpty: true);
            Optional(sb, "SYSTEM", modelfile.System, mayBeEmpty: true);
            Optional(sb, "RENDERER", modelfile.Renderer, mayBeEmpty: false);
            Optional(sb, "PARSER", modelfile.Parser, mayBeEmpty: false);
            if (modelfile.Requires != null)
            {
                if (!Semver.TryNormalize(modelfile.Requires, out var version))
                {
                    throw Invalid($"requires must be a valid semver (e.g. 0.14.0), not '{modelfile.Requires}'");
                }
                Line(sb, "REQUIRES", version);
            }
            foreach (var p in modelfile.Parameters)
            {
                if (p is null) throw Invalid("a parameter is null");
                Line(sb, "PARAMETER " + p.Name, ModelfileParameterTable.FormatValue(p.Value));
            }
            foreach (var license in modelfile.Licenses)
            {
                if (license is null) throw Invalid("a license is null");
                Line(sb, "LICENSE", license);
            }
            foreach (var m in modelfile.Messages)
            {
                if (m is null) throw Invalid("a message is null");
                Line(sb, "MESSAGE " + m.Role, m.Content);
            }
            writer.Write(sb.ToString());
        }

        /// <summary>
        /// The value as it must appear after the keyword: bare, <c>"..."</c> or <c>"""..."""</c>.
        /// </summary>
        /// <exception cref="KapsuleException">KapsuleModelfileInvalid when no quoting carries the value (a line inside
        /// it ends with the quote that would close it).</exception>
        public static string Quote(string value)
        {
            if (value is null) throw new ArgumentNullException(nameof(value));
            value = ModelfileParser.NormalizeLineEnds(value);
            bool needsQuotes = value.Length == 0
                || value.IndexOf('\n') >= 0
                || char.IsWhiteSpace(value[0])
                || char.IsWhiteSpace(value[value.Length - 1])
                || value[0] == '"';
            if (!needsQuotes) return value;

            string dbl = "\"" + value + "\"";
            string tri = ModelfileGrammar.Triple + value + ModelfileGrammar.Triple;
            bool hasQuote = value.IndexOf('"') >= 0;
            foreach (var candidate in hasQuote ? new[] { tri, dbl } : new[] { dbl, tri })
            {
                if (ReadsBackAs(candidate, value)) return candidate;
            }
            throw Invalid("the value cannot be written in a Modelfile: a line inside it ends with \" and with \"\"\", "
                + "so no quoting can carry it; change that line end");
        }

        private static bool ReadsBackAs(string candidate, string value)
        {
            var result = ModelfileGrammar.Value(new Input(candidate));
            return result.WasSuccessful && result.Remainder.AtEnd && result.Value.Text == value;
        }

        private static void Optional(StringBuilder sb, string keyword, string? value, bool mayBeEmpty)
        {
            if (value is null) return;
            if (value.Length == 0 && !mayBeEmpty)
            {
                throw Invalid($"{keyword} is empty; set it to null to leave it out");
            }
            Line(sb, keyword, value);
        }

        private static void Line(StringBuilder sb, string head, string value)
        {
            sb.Append(head).Append(' ').Append(Quote(value)).Append('\n');
        }

        private static KapsuleException Invalid(string message)
            => new KapsuleException(ErrorIds.ModelfileInvalid, KapsuleErrorKind.InvalidArgument, message);
    }
}
