#Requires -Modules Pester
# Get-Help for every cmdlet the BUILT module exports (KAPSULE_MODULE_PATH, set by build.ps1), the about_Kapsule
# topic, and tools/New-MamlHelp.ps1 refusing help that has drifted from the code.

BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'common.ps1')
    $cmdlets = @((Get-Module Kapsule).ExportedCmdlets.Keys | Sort-Object | ForEach-Object { @{ Name = $_ } })
    if ($cmdlets.Count -eq 0) { throw 'The Kapsule module exports no cmdlets.' }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    $script:module = Get-Module Kapsule
    $script:exported = @($module.ExportedCmdlets.Keys)
    $script:common = [System.Management.Automation.Cmdlet]::CommonParameters + 'UseTransaction'

    function Get-Text($Node) {
        # Paragraph text of a MAML description node (an array of { Text }), as one string.
        (@($Node) | Where-Object { $_ } | ForEach-Object { $_.Text }) -join "`n"
    }
}

Describe 'The help file' {
    It 'lives in en-US next to the module manifest, as Kapsule.dll-Help.xml' {
        $path = Join-Path $module.ModuleBase 'en-US/Kapsule.dll-Help.xml'
        $path | Should -Exist
        [xml] $maml = Get-Content -LiteralPath $path -Raw
        $maml.helpItems.schema | Should -Be 'maml'
        @($maml.helpItems.command).Count | Should -Be $exported.Count
    }

    It 'is named as the help file of the cmdlets' {
        foreach ($name in $exported) { Split-Path (Get-Command $name).HelpFile -Leaf | Should -Be 'Kapsule.dll-Help.xml' }
    }
}

Describe 'Get-Help <Name>' -ForEach $cmdlets {
    BeforeAll {
        $command = Get-Command $Name
        $help = Get-Help $Name -Full
        $parameters = @($command.Parameters.Keys | Where-Object { $_ -notin $common })
    }

    It 'has a synopsis that is not the syntax-only stub' {
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -Match '<CommonParameters>'
        $help.Synopsis.Trim() | Should -Not -Match "^$([regex]::Escape($Name))(\s*$|\s+[\[-])"
        $help.Synopsis.Length | Should -BeGreaterThan 20
    }

    It 'has a description' {
        (Get-Text $help.description).Length | Should -BeGreaterThan 100
    }

    It 'has examples whose code runs the cmdlet, each with an explanation' {
        $examples = @($help.examples.example)
        $examples.Count | Should -BeGreaterOrEqual 1
        foreach ($ex in $examples) {
            $ex.code | Should -Match "\b$([regex]::Escape($Name))\b"
            Get-Text $ex.remarks | Should -Not -BeNullOrEmpty
        }
    }

    It 'describes every parameter the cmdlet has, and no other' {
        $documented = @($help.parameters.parameter | ForEach-Object name)
        $documented | Sort-Object | Should -Be ($parameters | Sort-Object)
        foreach ($p in $help.parameters.parameter) {
            Get-Text $p.description | Should -Not -BeNullOrEmpty -Because "-$($p.name) needs a description"
        }
    }

    It 'shows the types, positions and pipeline input that Get-Command reports' {
        foreach ($p in $help.parameters.parameter) {
            $meta = $command.Parameters[$p.name]
            $p.type.name | Should -Be $(if ($meta.ParameterType.IsGenericType) { [Nullable]::GetUnderlyingType($meta.ParameterType).Name } else { $meta.ParameterType.Name })
            $byValue = [bool]($meta.ParameterSets.Values | Where-Object ValueFromPipeline)
            $byName = [bool]($meta.ParameterSets.Values | Where-Object ValueFromPipelineByPropertyName)
            ($p.pipelineInput -match 'ByValue') | Should -Be $byValue -Because "-$($p.name) pipeline input"
            ($p.pipelineInput -match 'ByPropertyName') | Should -Be $byName -Because "-$($p.name) pipeline input"
            $positions = @($meta.ParameterSets.Values | Where-Object { $_.Position -ge 0 })
            if ($positions) { $p.position | Should -Be ([string]$positions[0].Position) } else { $p.position | Should -Be 'named' }
            foreach ($alias in $meta.Aliases) { $p.aliases | Should -Match "\b$alias\b" }
        }
    }

    It 'has one syntax per parameter set, with the parameters of that set' {
        $items = @($help.syntax.syntaxItem)
        $items.Count | Should -Be $command.ParameterSets.Count
        $fromHelp = @($items | ForEach-Object { (@($_.parameter | ForEach-Object name) | Sort-Object) -join ',' }) | Sort-Object
        $fromCode = @($command.ParameterSets | ForEach-Object { (@($_.Parameters.Name | Where-Object { $_ -notin $common }) | Sort-Object) -join ',' }) | Sort-Object
        $fromHelp | Should -Be $fromCode
    }

    It 'lists inputs and outputs, including every [OutputType]' {
        @($help.inputTypes.inputType | ForEach-Object { $_.type.name } | Where-Object { $_ }).Count | Should -BeGreaterOrEqual 1
        $outputs = @($help.returnValues.returnValue | ForEach-Object { $_.type.name })
        $outputs.Count | Should -BeGreaterOrEqual 1
        foreach ($t in $command.OutputType) { $outputs | Should -Contain $t.Type.FullName }
    }

    It 'names the ErrorIds it writes in its notes' {
        $notes = Get-Text $help.alertSet.alert
        $notes | Should -Match 'ErrorId'
        $notes | Should -Match '`Kapsule[A-Z]\w+`'
    }

    It 'links only to Kapsule cmdlets and about_Kapsule' {
        $links = @($help.relatedLinks.navigationLink | ForEach-Object linkText)
        $links | Should -Contain 'about_Kapsule'
        foreach ($l in $links) { $l | Should -BeIn ($exported + 'about_Kapsule') }
    }
}

Describe 'about_Kapsule' {
    BeforeAll { $text = Get-Help about_Kapsule | Out-String }

    It 'explains the store location and KAPSULE_STORE' {
        $text | Should -Match 'KAPSULE_STORE'
        $text | Should -Match 'kapsule[/\\]store'
    }

    It 'explains oci: locations, credentials and ErrorIds' {
        $text | Should -Match 'oci:<folder>\[:<tag>\]'
        $text | Should -Match 'DOCKER_CONFIG'
        $text | Should -Match 'REGISTRY_AUTH_FILE'
        $text | Should -Match 'KapsuleImageNotFound'
    }

    It 'names every exported cmdlet' {
        foreach ($name in $exported) { $text | Should -Match "\b$([regex]::Escape($name))\b" }
    }
}

Describe 'tools/New-MamlHelp.ps1' {
    BeforeAll {
        $tool = Join-Path $RepoRoot 'tools/New-MamlHelp.ps1'
        $docs = Join-Path $RepoRoot 'docs/en-US'
        $pwsh = Get-PwshCommandLine

        function Invoke-HelpTool([scriptblock] $Change) {
            # Copies the docs, applies $Change to the copy, runs the tool on it; returns the exit code and output.
            $work = New-TestFolder 'help'
            $source = Join-Path $work 'docs'
            Copy-Item -LiteralPath $docs -Destination $source -Recurse
            if ($Change) { & $Change $source }
            $out = Join-Path $work 'out/Kapsule.dll-Help.xml'
            $exe = $pwsh[0]; $pre = @($pwsh | Select-Object -Skip 1)
            $text = & $exe @pre -NoProfile -NonInteractive -File $tool -ModulePath $KapsuleModulePath -SourcePath $source -OutputPath $out 2>&1 | ForEach-Object { "$_" } | Out-String
            [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = $text; Path = $out; Folder = $work }
        }

        function Edit-Doc([string] $Folder, [string] $Name, [scriptblock] $Edit) {
            $path = Join-Path $Folder "$Name.md"
            $content = Get-Content -LiteralPath $path -Raw
            Set-Content -LiteralPath $path -Value (& $Edit $content) -NoNewline
        }
    }

    It 'compiles the docs into MAML and the about topic' {
        $r = Invoke-HelpTool
        $r.ExitCode | Should -Be 0 -Because $r.Output
        [xml] $maml = Get-Content -LiteralPath $r.Path -Raw
        @($maml.helpItems.command).Count | Should -Be $exported.Count
        Join-Path (Split-Path $r.Path) 'about_Kapsule.help.txt' | Should -Exist
        Remove-Item -LiteralPath $r.Folder -Recurse -Force
    }

    It 'escapes markup in the text' {
        $r = Invoke-HelpTool { param($d) Edit-Doc $d 'Get-KapsuleImage' { param($t) $t -replace '(?m)^Lists the model images.*$', 'Lists <images> & "names" in the store.' } }
        $r.ExitCode | Should -Be 0 -Because $r.Output
        [xml] $maml = Get-Content -LiteralPath $r.Path -Raw
        $cmd = $maml.helpItems.command | Where-Object { $_.details.name -eq 'Get-KapsuleImage' }
        $cmd.details.description.para | Should -Be 'Lists <images> & "names" in the store.'
        Remove-Item -LiteralPath $r.Folder -Recurse -Force
    }

    It 'fails when a cmdlet has no markdown' {
        $r = Invoke-HelpTool { param($d) Remove-Item (Join-Path $d 'Get-KapsuleImage.md') }
        $r.ExitCode | Should -Not -Be 0
        $r.Output | Should -Match 'Get-KapsuleImage: no help'
        $r.Path | Should -Not -Exist
        Remove-Item -LiteralPath $r.Folder -Recurse -Force
    }

    It 'fails when the markdown documents a parameter the cmdlet does not have' {
        $r = Invoke-HelpTool { param($d) Edit-Doc $d 'Test-KapsuleImage' { param($t) $t -replace '(?m)^### -Quiet', "### -Bogus`nNot a parameter.`n`n### -Quiet" } }
        $r.ExitCode | Should -Not -Be 0
        $r.Output | Should -Match 'documents -Bogus'
        Remove-Item -LiteralPath $r.Folder -Recurse -Force
    }

    It 'fails when a parameter has no description' {
        $r = Invoke-HelpTool { param($d) Edit-Doc $d 'Remove-KapsuleImage' { param($t) $t -replace '(?ms)^### -NoPrune\r?\n.*?(?=^### )', '' } }
        $r.ExitCode | Should -Not -Be 0
        $r.Output | Should -Match '-NoPrune of Remove-KapsuleImage has no description'
        Remove-Item -LiteralPath $r.Folder -Recurse -Force
    }

    It 'fails when a markdown file names no exported cmdlet' {
        $r = Invoke-HelpTool { param($d) Copy-Item (Join-Path $d 'Get-KapsuleImage.md') (Join-Path $d 'Get-KapsuleThing.md'); Edit-Doc $d 'Get-KapsuleThing' { param($t) $t -replace '(?m)^# Get-KapsuleImage', '# Get-KapsuleThing' } }
        $r.ExitCode | Should -Not -Be 0
        $r.Output | Should -Match "'Get-KapsuleThing' is not a cmdlet the module exports"
        Remove-Item -LiteralPath $r.Folder -Recurse -Force
    }
}
