using System;
using System.IO;
using System.Management.Automation;
using System.Text;
using Kapsule.Modelfile;

namespace Kapsule.PowerShell
{
    /// <summary>
    /// <para type="synopsis">Writes KapsuleModelfile objects as canonical Modelfile text.</para>
    /// <para type="description">Emits the canonical text (uppercase keywords, LF line ends, Ollama's quoting) as a
    /// string, or with -Path writes it to a file (UTF-8 without BOM; -WhatIf and -Confirm apply; -PassThru emits the
    /// file). Reading the text back gives the same model.</para>
    /// </summary>
    [Cmdlet(VerbsData.ConvertTo, "KapsuleModelfile", DefaultParameterSetName = TextSet, SupportsShouldProcess = true)]
    [OutputType(typeof(string), ParameterSetName = new[] { TextSet })]
    [OutputType(typeof(FileInfo), ParameterSetName = new[] { FileSet })]
    public sealed class ConvertToKapsuleModelfileCommand : KapsuleCmdlet
    {
        private const string TextSet = "Text";
        private const string FileSet = "File";

        private int _written;

        /// <summary>The Modelfile to write (from ConvertFrom-KapsuleModelfile or built in a script).</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
        [ValidateNotNull]
        public KapsuleModelfile InputObject { get; set; } = null!;

        /// <summary>Writes the text to this file instead of emitting it.</summary>
        [Parameter(Mandatory = true, Position = 1, ParameterSetName = FileSet)]
        [ValidateNotNullOrEmpty]
        public string Path { get; set; } = string.Empty;

        /// <summary>With -Path, emits the written file.</summary>
        [Parameter(ParameterSetName = FileSet)]
        public SwitchParameter PassThru { get; set; }

        protected override void ProcessRecord()
        {
            string text;
            try
            {
                text = ModelfileWriter.Write(InputObject);
            }
            catch (KapsuleException e)
            {
                WriteError(ToErrorRecord(e, InputObject));
                return;
            }

            if (ParameterSetName == TextSet)
            {
                WriteObject(text);
                return;
            }

            string full = GetUnresolvedProviderPathFromPSPath(Path);
            if (++_written > 1)
            {
                var e = new KapsuleException(ErrorIds.ModelfileInvalid, KapsuleErrorKind.InvalidArgument,
                    $"More than one Modelfile was piped to ConvertTo-KapsuleModelfile -Path '{full}'; only the first was written. Write each to its own path.");
                WriteError(ToErrorRecord(e, InputObject));
                return;
            }
            if (!ShouldProcess(full, "Write Modelfile"))
            {
                return;
            }
            try
            {
                File.WriteAllText(full, text, new UTF8Encoding(false));
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                WriteError(ToErrorRecord(e, full));
                return;
            }
            if (PassThru)
            {
                WriteObject(new FileInfo(full));
            }
        }
    }
}
