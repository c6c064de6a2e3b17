<#
.SYNOPSIS
    Compiles docs/en-US/*.md into the MAML help file of the compiled cmdlets and the about_ topics.
.DESCRIPTION
    Imports the BUILT module, reads one markdown file per exported cmdlet (a small platyPS-like schema:
    # Name, ## SYNOPSIS, ## DESCRIPTION, ## EXAMPLES, ## PARAMETERS, ## INPUTS, ## OUTPUTS, ## NOTES,
    ## RELATED LINKS) and writes <OutputPath> (Kapsule.dll-Help.xml). Everything about a parameter except
    its description (type, mandatory, position, pipeline input, aliases, wildcards, default value and the
    syntax of each parameter set) is taken from Get-Command at build time, so the markdown never repeats it.
    about_*.md files are compiled to about_*.help.txt next to the MAML file.

    Fails (exit code 1) so that help cannot drift from the code when:
      - an exported cmdlet has no markdown file, or a markdown file names no exported cmdlet;
      - the markdown documents a parameter the cmdlet does not have;
      - a parameter of the cmdlet (other than the common parameters) has no description;
      - SYNOPSIS, DESCRIPTION, an example with code, INPUTS or OUTPUTS is missing, or a type the cmdlet
        declares with [OutputType] is not listed under OUTPUTS;
      - the markdown has a section this tool does not know (a typo would lose text silently).
.EXAMPLE
    pwsh -File tools/New-MamlHelp.ps1 -ModulePath output/Kapsule/0.1.0/Kapsule.psd1 -SourcePath docs/en-US -OutputPath output/Kapsule/0.1.0/en-US/Kapsule.dll-Help.xml
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $SourcePath,
    [Parameter(Mandatory)] [string] $OutputPath
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

$script:Problems = [System.Collections.Generic.List[string]]::new()
function Add-Problem([string] $Message) { $script:Problems.Add($Message) }

$CommonParameters = [System.Collections.Generic.HashSet[string]]::new(
    [string[]]([System.Management.Automation.Cmdlet]::CommonParameters + 'UseTransaction'), [StringComparer]::OrdinalIgnoreCase)
# -WhatIf and -Confirm are shown in the syntax like any parameter; their text is standard unless the markdown gives one.
$StandardDescriptions = @{
    WhatIf  = 'Shows what would happen if the cmdlet runs. The cmdlet is not run.'
    Confirm = 'Prompts you for confirmation before running the cmdlet.'
}
$KnownSections = 'SYNOPSIS', 'SYNTAX', 'DESCRIPTION', 'EXAMPLES', 'PARAMETERS', 'INPUTS', 'OUTPUTS', 'NOTES', 'RELATED LINKS'

# ---------------------------------------------------------------------------------------------- markdown

function ConvertTo-Paragraph {
    # Markdown lines to paragraphs: blank lines separate paragraphs, soft-wrapped lines are joined, each list
    # item is its own paragraph and a fenced code block is kept verbatim as one paragraph.
    param([string[]] $Lines)
    $paras = [System.Collections.Generic.List[string]]::new()
    $current = [System.Collections.Generic.List[string]]::new()
    $inCode = $false
    $code = [System.Collections.Generic.List[string]]::new()
    $flush = {
        if ($current.Count -gt 0) { $paras.Add(($current -join ' ').Trim()); $current.Clear() }
    }
    foreach ($line in $Lines) {
        if ($line -match '^\s*```') {
            if ($inCode) { $paras.Add(($code -join "`n")); $code.Clear(); $inCode = $false }
            else { & $flush; $inCode = $true }
            continue
        }
        if ($inCode) { $code.Add($line); continue }
        if ($line -match '^\s*$') { & $flush; continue }
        if ($line -match '^\s*([-*]|\d+\.)\s+') { & $flush; $current.Add($line.Trim()); continue }
        $current.Add($line.Trim())
    }
    & $flush
    if ($inCode -and $code.Count -gt 0) { $paras.Add(($code -join "`n")) }
    return , $paras.ToArray()
}

function Split-Heading {
    # Groups lines under the headings of one level: returns ordered (title -> lines), with the lines before
    # the first heading under ''. Fenced code is never taken for a heading.
    param([string[]] $Lines, [string] $Marker)
    $groups = [ordered]@{ '' = [System.Collections.Generic.List[string]]::new() }
    $key = ''
    $inCode = $false
    foreach ($line in $Lines) {
        if ($line -match '^\s*```') { $inCode = -not $inCode }
        if (-not $inCode -and $line.StartsWith("$Marker ")) {
            $key = $line.Substring($Marker.Length + 1).Trim()
            $n = 2
            $unique = $key
            while ($groups.Contains($unique)) { $unique = "$key ($n)"; $n++ }
            $key = $unique
            $groups[$key] = [System.Collections.Generic.List[string]]::new()
            continue
        }
        $groups[$key].Add($line)
    }
    return $groups
}

function Read-CommandMarkdown {
    param([string] $Path)
    $lines = [IO.File]::ReadAllLines($Path)
    $file = Split-Path $Path -Leaf
    $top = Split-Heading -Lines $lines -Marker '#'
    $names = @($top.Keys | Where-Object { $_ -ne '' })
    if ($names.Count -ne 1) { Add-Problem "${file}: needs exactly one '# <Cmdlet-Name>' heading."; return $null }
    $doc = [ordered]@{
        Name = $names[0]; File = $file; Synopsis = @(); Description = @(); Examples = @(); Parameters = [ordered]@{}
        Inputs = @(); Outputs = @(); Notes = @(); Links = @()
    }
    $sections = Split-Heading -Lines $top[$names[0]] -Marker '##'
    foreach ($section in $sections.Keys) {
        if ($section -eq '') { continue }
        $body = [string[]]$sections[$section]
        switch ($section) {
            'SYNOPSIS' { $doc.Synopsis = ConvertTo-Paragraph $body }
            'SYNTAX' { } # generated from Get-Command; anything written here is ignored
            'DESCRIPTION' { $doc.Description = ConvertTo-Paragraph $body }
            'NOTES' { $doc.Notes = ConvertTo-Paragraph $body }
            'EXAMPLES' {
                $examples = Split-Heading -Lines $body -Marker '###'
                $doc.Examples = foreach ($title in @($examples.Keys | Where-Object { $_ -ne '' })) {
                    $code = [System.Collections.Generic.List[string]]::new()
                    $text = [System.Collections.Generic.List[string]]::new()
                    $inCode = $false
                    foreach ($line in $examples[$title]) {
                        if ($line -match '^\s*```') {
                            $inCode = -not $inCode
                            if (-not $inCode) { $code.Add('') }
                            continue
                        }
                        if ($inCode) { $code.Add($line) } else { $text.Add($line) }
                    }
                    [pscustomobject]@{ Title = $title; Code = ($code -join "`n").Trim(); Remarks = ConvertTo-Paragraph $text }
                }
            }
            'PARAMETERS' {
                $params = Split-Heading -Lines $body -Marker '###'
                foreach ($p in @($params.Keys | Where-Object { $_ -ne '' })) {
                    $pname = $p.TrimStart('-').Trim()
                    if ($p -notmatch '^-\w+$') { Add-Problem "${file}: parameter heading '### $p' must be '### -<Name>'." }
                    $doc.Parameters[$pname] = ConvertTo-Paragraph $params[$p]
                }
            }
            { $_ -in 'INPUTS', 'OUTPUTS' } {
                $types = Split-Heading -Lines $body -Marker '###'
                $list = foreach ($t in @($types.Keys | Where-Object { $_ -ne '' })) {
                    [pscustomobject]@{ Type = $t; Description = ConvertTo-Paragraph $types[$t] }
                }
                if ($section -eq 'INPUTS') { $doc.Inputs = @($list) } else { $doc.Outputs = @($list) }
            }
            'RELATED LINKS' {
                $doc.Links = foreach ($line in $body) {
                    if ($line -match '^\s*[-*]\s*\[([^\]]+)\]\(([^)]*)\)') {
                        [pscustomobject]@{ Text = $Matches[1]; Uri = $(if ($Matches[2] -match '^https?://') { $Matches[2] } else { '' }) }
                    }
                    elseif ($line -match '^\s*[-*]\s*(\S.*)$') { [pscustomobject]@{ Text = $Matches[1].Trim(); Uri = '' } }
                }
            }
            default { Add-Problem "${file}: unknown section '## $section' (known: $($KnownSections -join ', '))." }
        }
    }
    return [pscustomobject]$doc
}

# ---------------------------------------------------------------------------------------------- metadata

function Get-PipelineInput([System.Management.Automation.CommandParameterInfo[]] $InSets) {
    $ways = @()
    if ($InSets | Where-Object ValueFromPipelineByPropertyName) { $ways += 'ByPropertyName' }
    if ($InSets | Where-Object ValueFromPipeline) { $ways += 'ByValue' }
    if ($ways) { return "True ($($ways -join ', '))" }
    return 'False'
}

function Get-DefaultValue($Instance, [System.Management.Automation.ParameterMetadata] $Parameter) {
    if ($Parameter.SwitchParameter) { return 'False' }
    if ($null -eq $Instance) { return 'None' }
    try { $value = $Instance.GetType().GetProperty($Parameter.Name).GetValue($Instance) }
    catch { return 'None' }
    if ($null -eq $value -or ($value -is [string] -and $value -eq '') -or
        ($value -is [array] -and $value.Length -eq 0) -or
        ($value -is [System.Management.Automation.PSCredential] -and $value -eq [System.Management.Automation.PSCredential]::Empty)) {
        return 'None'
    }
    if ($value -is [array]) { return ($value -join ', ') }
    return [string]$value
}

function Get-ParameterInfo {
    # One record per parameter of the command (common parameters except WhatIf/Confirm left out), in the order
    # Get-Command gives them, with the per-set details the syntax needs.
    param([System.Management.Automation.CommandInfo] $Command)
    $instance = $null
    if ($Command.ImplementingType) { try { $instance = [Activator]::CreateInstance($Command.ImplementingType) } catch { } }
    foreach ($p in $Command.Parameters.Values) {
        if ($CommonParameters.Contains($p.Name)) { continue }
        $inSets = @(foreach ($set in $Command.ParameterSets) { $set.Parameters | Where-Object Name -EQ $p.Name })
        $mandatory = @($inSets | Where-Object IsMandatory).Count
        $positions = @($inSets | Where-Object { $_.Position -ge 0 } | ForEach-Object Position | Select-Object -Unique)
        [pscustomobject]@{
            Name          = $p.Name
            Type          = $p.ParameterType
            IsSwitch      = $p.SwitchParameter
            Required      = $(if ($mandatory -eq $inSets.Count) { 'true' } elseif ($mandatory -eq 0) { 'false' } else {
                    (@(foreach ($s in $Command.ParameterSets) { foreach ($i in $s.Parameters) { if ($i.Name -eq $p.Name) { "$($i.IsMandatory.ToString().ToLower()) ($($s.Name))" } } }) -join ', ') })
            Position      = $(if ($positions.Count -gt 0) { ($positions -join ', ') } else { 'named' })
            PipelineInput = Get-PipelineInput $inSets
            Aliases       = $(if ($p.Aliases.Count) { $p.Aliases -join ', ' } else { 'none' })
            Globbing      = [bool]($p.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] })
            Default       = Get-DefaultValue $instance $p
        }
    }
    if ($instance -is [IDisposable]) { $instance.Dispose() }
}

function Get-TypeName([type] $Type) {
    # String[], Nullable`1[Int32] -> Int32, as platyPS shows them.
    $under = [Nullable]::GetUnderlyingType($Type)
    if ($under) { $Type = $under }
    return $Type.Name
}

# ---------------------------------------------------------------------------------------------- MAML

$ns = @{
    msh     = 'http://msh'
    maml    = 'http://schemas.microsoft.com/maml/2004/10'
    command = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
    dev     = 'http://schemas.microsoft.com/maml/dev/2004/10'
    MSHelp  = 'http://msdn.microsoft.com/mshelp'
}

function Write-Element([System.Xml.XmlWriter] $W, [string] $Prefix, [string] $Name, [string] $Text) {
    $W.WriteStartElement($Prefix, $Name, $ns[$Prefix])
    if ($Text) { $W.WriteString($Text) }
    $W.WriteEndElement()
}

function Write-Paragraphs([System.Xml.XmlWriter] $W, [string[]] $Paragraphs) {
    $any = $false
    foreach ($p in $Paragraphs) { if ($p) { Write-Element $W maml para $p; $any = $true } }
    if (-not $any) { Write-Element $W maml para '' }
}

function Write-Description([System.Xml.XmlWriter] $W, [string[]] $Paragraphs) {
    $W.WriteStartElement('maml', 'description', $ns.maml)
    Write-Paragraphs $W $Paragraphs
    $W.WriteEndElement()
}

function Write-Parameter {
    param([System.Xml.XmlWriter] $W, $Info, [string[]] $Description, [string] $Required, [string] $Position, [string] $PipelineInput)
    $W.WriteStartElement('command', 'parameter', $ns.command)
    $W.WriteAttributeString('required', $Required)
    $W.WriteAttributeString('variableLength', $Info.Type.IsArray.ToString().ToLower())
    $W.WriteAttributeString('globbing', $Info.Globbing.ToString().ToLower())
    $W.WriteAttributeString('pipelineInput', $PipelineInput)
    $W.WriteAttributeString('position', $Position)
    $W.WriteAttributeString('aliases', $Info.Aliases)
    Write-Element $W maml name $Info.Name
    Write-Description $W $Description
    if (-not $Info.IsSwitch) {
        $W.WriteStartElement('command', 'parameterValue', $ns.command)
        $W.WriteAttributeString('required', 'true')
        $W.WriteAttributeString('variableLength', $Info.Type.IsArray.ToString().ToLower())
        $W.WriteString((Get-TypeName $Info.Type))
        $W.WriteEndElement()
    }
    $W.WriteStartElement('dev', 'type', $ns.dev)
    Write-Element $W maml name (Get-TypeName $Info.Type)
    Write-Element $W maml uri ''
    $W.WriteEndElement()
    Write-Element $W dev defaultValue $Info.Default
    $W.WriteEndElement()
}

function Write-TypeList([System.Xml.XmlWriter] $W, [string] $ListName, [string] $ItemName, $Items) {
    $W.WriteStartElement('command', $ListName, $ns.command)
    foreach ($item in $Items) {
        $W.WriteStartElement('command', $ItemName, $ns.command)
        $W.WriteStartElement('dev', 'type', $ns.dev)
        Write-Element $W maml name $item.Type
        $W.WriteEndElement()
        Write-Description $W $item.Description
        $W.WriteEndElement()
    }
    $W.WriteEndElement()
}

function Write-CommandHelp {
    param([System.Xml.XmlWriter] $W, [System.Management.Automation.CommandInfo] $Command, $Doc, $Parameters)
    $W.WriteStartElement('command', 'command', $ns.command)
    foreach ($prefix in 'maml', 'command', 'dev', 'MSHelp') { $W.WriteAttributeString('xmlns', $prefix, $null, $ns[$prefix]) }

    $W.WriteStartElement('command', 'details', $ns.command)
    Write-Element $W command name $Command.Name
    Write-Element $W command verb $Command.Verb
    Write-Element $W command noun $Command.Noun
    Write-Description $W $Doc.Synopsis
    $W.WriteEndElement()

    Write-Description $W $Doc.Description

    $W.WriteStartElement('command', 'syntax', $ns.command)
    $sets = @($Command.ParameterSets | Sort-Object { -not $_.IsDefault })
    foreach ($set in $sets) {
        $W.WriteStartElement('command', 'syntaxItem', $ns.command)
        Write-Element $W maml name $Command.Name
        $inSet = @($set.Parameters | Where-Object { -not $CommonParameters.Contains($_.Name) })
        $ordered = @($inSet | Where-Object { $_.Position -ge 0 } | Sort-Object Position) + @($inSet | Where-Object { $_.Position -lt 0 })
        foreach ($sp in $ordered) {
            $info = $Parameters | Where-Object Name -EQ $sp.Name
            Write-Parameter -W $W -Info $info -Description $Doc.Parameters[$sp.Name] -Required $sp.IsMandatory.ToString().ToLower() `
                -Position $(if ($sp.Position -ge 0) { [string]$sp.Position } else { 'named' }) -PipelineInput (Get-PipelineInput @($sp))
        }
        $W.WriteEndElement()
    }
    $W.WriteEndElement()

    $W.WriteStartElement('command', 'parameters', $ns.command)
    foreach ($info in $Parameters) {
        Write-Parameter -W $W -Info $info -Description $Doc.Parameters[$info.Name] -Required $info.Required -Position $info.Position -PipelineInput $info.PipelineInput
    }
    $W.WriteEndElement()

    Write-TypeList $W inputTypes inputType $Doc.Inputs
    Write-TypeList $W returnValues returnValue $Doc.Outputs

    $W.WriteStartElement('maml', 'alertSet', $ns.maml)
    $W.WriteStartElement('maml', 'alert', $ns.maml)
    Write-Paragraphs $W $Doc.Notes
    $W.WriteEndElement()
    $W.WriteEndElement()

    $W.WriteStartElement('command', 'examples', $ns.command)
    foreach ($ex in $Doc.Examples) {
        $W.WriteStartElement('command', 'example', $ns.command)
        Write-Element $W maml title "-------------------------- $($ex.Title) --------------------------"
        Write-Element $W dev code $ex.Code
        $W.WriteStartElement('dev', 'remarks', $ns.dev)
        Write-Paragraphs $W $ex.Remarks
        $W.WriteEndElement()
        $W.WriteEndElement()
    }
    $W.WriteEndElement()

    $W.WriteStartElement('command', 'relatedLinks', $ns.command)
    foreach ($link in $Doc.Links) {
        $W.WriteStartElement('maml', 'navigationLink', $ns.maml)
        Write-Element $W maml linkText $link.Text
        Write-Element $W maml uri $link.Uri
        $W.WriteEndElement()
    }
    $W.WriteEndElement()

    $W.WriteEndElement()
}

# ---------------------------------------------------------------------------------------------- about_ topics

function Format-Wrapped([string] $Text, [int] $Indent, [int] $Width = 79, [int] $HangingIndent = $Indent) {
    $lines = [System.Collections.Generic.List[string]]::new()
    $line = ' ' * $Indent
    $fresh = $true
    foreach ($word in ($Text -split '\s+' | Where-Object { $_ })) {
        if (-not $fresh -and $line.Length + 1 + $word.Length -gt $Width) {
            $lines.Add($line.TrimEnd()); $line = (' ' * $HangingIndent) + $word
        }
        elseif ($fresh) { $line += $word }
        else { $line += ' ' + $word }
        $fresh = $false
    }
    if (-not $fresh) { $lines.Add($line.TrimEnd()) }
    return $lines
}

function ConvertTo-AboutText {
    param([string] $Path)
    $lines = [IO.File]::ReadAllLines($Path)
    $out = [System.Collections.Generic.List[string]]::new()
    $top = Split-Heading -Lines $lines -Marker '#'
    $name = @($top.Keys | Where-Object { $_ -ne '' })[0]
    if (-not $name) { Add-Problem "$(Split-Path $Path -Leaf): needs a '# about_<Topic>' heading."; return $null }
    $out.Add('TOPIC'); $out.Add("    $($name.ToLowerInvariant())"); $out.Add('')
    $sections = Split-Heading -Lines $top[$name] -Marker '##'
    foreach ($section in $sections.Keys) {
        if ($section -eq '') { continue }
        $out.Add($section.ToUpperInvariant())
        $subs = Split-Heading -Lines ([string[]]$sections[$section]) -Marker '###'
        foreach ($sub in $subs.Keys) {
            $indent = 4
            if ($sub -ne '') { $out.Add("    $sub"); $out.Add('    ' + ('-' * $sub.Length)); $indent = 4 }
            $inCode = $false
            $para = [System.Collections.Generic.List[string]]::new()
            # A paragraph ends with a blank line; consecutive list items stay together.
            $flush = {
                param([bool] $Blank = $true)
                if ($para.Count -gt 0) {
                    $text = $para -join ' '
                    if ($text -match '^([-*]|\d+\.)\s+') { foreach ($l in (Format-Wrapped $text $indent -HangingIndent ($indent + 2))) { $out.Add($l) } }
                    else { foreach ($l in (Format-Wrapped $text $indent)) { $out.Add($l) } }
                    if ($Blank) { $out.Add('') }
                    $para.Clear()
                }
            }
            foreach ($line in $subs[$sub]) {
                if ($line -match '^\s*```') {
                    if ($inCode) { $out.Add(''); $inCode = $false } else { & $flush; $inCode = $true }
                    continue
                }
                if ($inCode) { $out.Add((' ' * ($indent + 4)) + $line); continue }
                if ($line -match '^\s*$') { & $flush; continue }
                if ($line -match '^\s*([-*]|\d+\.)\s+') { & $flush $false }
                $para.Add($line.Trim())
            }
            & $flush
        }
    }
    while ($out.Count -gt 0 -and $out[$out.Count - 1] -eq '') { $out.RemoveAt($out.Count - 1) }
    return ($out -join [Environment]::NewLine) + [Environment]::NewLine
}

# ---------------------------------------------------------------------------------------------- main

$ModulePath = (Resolve-Path -LiteralPath $ModulePath).ProviderPath
$module = Import-Module -Name $ModulePath -PassThru -Force
$commands = @($module.ExportedCmdlets.Values | Sort-Object Name)
if ($commands.Count -eq 0) { Write-Error "The module at '$ModulePath' exports no cmdlets."; exit 1 }
$SourcePath = (Resolve-Path -LiteralPath $SourcePath).ProviderPath

$docs = @{}
foreach ($file in Get-ChildItem -LiteralPath $SourcePath -Filter '*.md' -File) {
    if ($file.Name -like 'about_*') { continue }
    $doc = Read-CommandMarkdown $file.FullName
    if ($null -eq $doc) { continue }
    if ($doc.Name + '.md' -ne $file.Name) { Add-Problem "$($file.Name): its heading names '$($doc.Name)'; the file must be called '$($doc.Name).md'." }
    if (-not ($commands | Where-Object Name -EQ $doc.Name)) { Add-Problem "$($file.Name): '$($doc.Name)' is not a cmdlet the module exports; remove the file or export the cmdlet." }
    $docs[$doc.Name] = $doc
}

$helpItems = [System.Collections.Generic.List[object]]::new()
foreach ($command in $commands) {
    $doc = $docs[$command.Name]
    if ($null -eq $doc) { Add-Problem "$($command.Name): no help; write $(Join-Path $SourcePath "$($command.Name).md")."; continue }
    $f = $doc.File
    $parameters = @(Get-ParameterInfo $command)
    foreach ($documented in $doc.Parameters.Keys) {
        if (-not ($parameters | Where-Object Name -EQ $documented)) {
            Add-Problem "${f}: documents -$documented, which $($command.Name) does not have."
        }
        elseif (-not ($doc.Parameters[$documented] -join '').Trim()) {
            Add-Problem "${f}: '### -$documented' has no description."
        }
    }
    foreach ($p in $parameters) {
        $described = $doc.Parameters.Contains($p.Name) -and ($doc.Parameters[$p.Name] -join '').Trim()
        if (-not $described) {
            if ($StandardDescriptions.ContainsKey($p.Name)) { $doc.Parameters[$p.Name] = @($StandardDescriptions[$p.Name]) }
            else { Add-Problem "${f}: -$($p.Name) of $($command.Name) has no description; add '### -$($p.Name)' under '## PARAMETERS'." }
        }
    }
    if (-not ($doc.Synopsis -join '').Trim()) { Add-Problem "${f}: SYNOPSIS is empty." }
    if (-not ($doc.Description -join '').Trim()) { Add-Problem "${f}: DESCRIPTION is empty." }
    if (-not @($doc.Examples | Where-Object { $_.Code }).Count) { Add-Problem "${f}: needs at least one example with a code block." }
    foreach ($ex in $doc.Examples) { if (-not $ex.Code) { Add-Problem "${f}: example '$($ex.Title)' has no code block." } }
    if (-not @($doc.Inputs).Count) { Add-Problem "${f}: INPUTS is empty (write '### None' when nothing can be piped)." }
    if (-not @($doc.Outputs).Count) { Add-Problem "${f}: OUTPUTS is empty (write '### None' when nothing is output)." }
    foreach ($t in $command.OutputType) {
        $full = if ($t.Type) { $t.Type.FullName } else { $t.Name }
        $short = ($full -split '\.')[-1]
        if (-not ($doc.Outputs | Where-Object { $_.Type -eq $full -or $_.Type -eq $short })) {
            Add-Problem "${f}: $($command.Name) declares [OutputType($full)], which OUTPUTS does not list."
        }
    }
    $helpItems.Add([pscustomobject]@{ Command = $command; Doc = $doc; Parameters = $parameters })
}

$abouts = @{}
foreach ($file in Get-ChildItem -LiteralPath $SourcePath -Filter 'about_*.md' -File) {
    $text = ConvertTo-AboutText $file.FullName
    if ($text) { $abouts[$file.BaseName + '.help.txt'] = $text }
}

if ($Problems.Count -gt 0) {
    foreach ($p in $Problems) { [Console]::Error.WriteLine("help: $p") }
    [Console]::Error.WriteLine("help: $($Problems.Count) problem(s); no help was written.")
    exit 1
}

$outDir = Split-Path -Parent ([IO.Path]::GetFullPath($OutputPath))
New-Item -ItemType Directory -Path $outDir -Force | Out-Null
$settings = [System.Xml.XmlWriterSettings]::new()
$settings.Indent = $true
$settings.Encoding = [System.Text.UTF8Encoding]::new($false)
$writer = [System.Xml.XmlWriter]::Create([IO.Path]::GetFullPath($OutputPath), $settings)
try {
    $writer.WriteStartDocument()
    $writer.WriteStartElement('helpItems', $ns.msh)
    $writer.WriteAttributeString('schema', 'maml')
    foreach ($item in $helpItems) { Write-CommandHelp -W $writer -Command $item.Command -Doc $item.Doc -Parameters $item.Parameters }
    $writer.WriteEndElement()
    $writer.WriteEndDocument()
}
finally { $writer.Dispose() }
foreach ($name in $abouts.Keys) {
    [IO.File]::WriteAllText((Join-Path $outDir $name), $abouts[$name], [System.Text.UTF8Encoding]::new($false))
}
Write-Host "Help: $($helpItems.Count) cmdlet(s) and $($abouts.Count) about topic(s) -> $outDir"
exit 0
