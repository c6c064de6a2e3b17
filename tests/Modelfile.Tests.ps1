#Requires -Modules Pester
# ConvertFrom-KapsuleModelfile / ConvertTo-KapsuleModelfile against the BUILT module.
# KAPSULE_MODULE_PATH (set by build.ps1) names the built Kapsule.psd1; otherwise output/Kapsule is used.

BeforeAll {
    $modulePath = if ($env:KAPSULE_MODULE_PATH) { $env:KAPSULE_MODULE_PATH } else { Join-Path $PSScriptRoot '../output/Kapsule' }
    Import-Module $modulePath -Force -ErrorAction Stop

    $script:fixtures = (Resolve-Path (Join-Path $PSScriptRoot '../test_fixtures')).ProviderPath
    $script:valid = Join-Path $fixtures 'modelfiles/valid'
    $script:invalid = Join-Path $fixtures 'modelfiles/invalid'
    $script:sample = Join-Path $fixtures 'testmodel/modelfile'
}

Describe 'ConvertFrom-KapsuleModelfile' {
    Context 'reading files' {
        It 'parses the sample model with typed values' {
            $m = ConvertFrom-KapsuleModelfile -Path $sample
            $m | Should -BeOfType ([Kapsule.Modelfile.KapsuleModelfile])
            $m.From | Should -BeExactly './test.gguf'
            $m.Template | Should -BeExactly '[INST] {{ .System }} {{ .Prompt }} [/INST]'
            $m.GetParameter('stop') | Should -Be @('[INST]', '[/INST]')
            $m.GetParameter('temperature') | Should -BeOfType ([double])
            $m.GetParameter('temperature') | Should -Be 0.8
            $m.System | Should -BeLike 'You are a concise assistant*'
            $m.Licenses | Should -HaveCount 1
            $m.Licenses[0] | Should -BeLike "MIT License`n`nCopyright*"
            $m.SourcePath | Should -Be $sample
        }

        It 'takes every file of the corpus from Get-ChildItem on the pipeline' {
            $files = Get-ChildItem -Path $valid -Filter *.modelfile
            $files.Count | Should -BeGreaterOrEqual 8
            $models = $files | ConvertFrom-KapsuleModelfile -WarningAction SilentlyContinue
            $models | Should -HaveCount $files.Count
            ($models.SourcePath | Sort-Object) | Should -Be ($files.FullName | Sort-Object)
            ($models | Where-Object From -EQ './weights/model.gguf').AdditionalFrom | Should -Be @('./weights/mmproj.gguf')
        }

        It 'expands wildcards in -Path' {
            $models = ConvertFrom-KapsuleModelfile -Path (Join-Path $valid 'm*.modelfile')
            $models.From | Should -Be @('llama3.2')
            $models.GetParameter('num_ctx') | Should -Be 4096
            $models.GetParameter('num_ctx') | Should -BeOfType ([long])
        }

        It 'reads names with brackets by -LiteralPath, by -Path and from Get-ChildItem' {
            $odd = Join-Path $TestDrive 'model[1].modelfile'
            Copy-Item -LiteralPath (Join-Path $valid 'mario.modelfile') -Destination $odd
            (ConvertFrom-KapsuleModelfile -LiteralPath $odd).From | Should -Be 'llama3.2'
            (ConvertFrom-KapsuleModelfile -Path $odd).From | Should -Be 'llama3.2'
            (Get-Item -LiteralPath $odd | ConvertFrom-KapsuleModelfile).SourcePath | Should -Be $odd
        }

        It 'handles Windows line endings with a BOM and UTF-16 files' {
            $crlf = ConvertFrom-KapsuleModelfile -Path (Join-Path $valid 'windows-crlf.modelfile')
            $crlf.Template | Should -BeExactly "<s>[INST] {{ if .System }}{{ .System }}`n`n{{ end }}{{ .Prompt }} [/INST]"
            $crlf.GetParameter('stop') | Should -Be @('[INST]', '[/INST]')
            (ConvertFrom-KapsuleModelfile -Path (Join-Path $valid 'utf16-bom.modelfile')).System |
                Should -BeExactly "Répondez en français, s'il vous plaît."
        }

        It 'warns about deprecated parameters and drops them' {
            $m = ConvertFrom-KapsuleModelfile -Path (Join-Path $valid 'deprecated-parameters.modelfile') -WarningVariable warnings -WarningAction SilentlyContinue
            $warnings | Should -HaveCount 3
            "$($warnings[0])" | Should -BeLike "*deprecated-parameters.modelfile: line 2, column 11: parameter 'mirostat' is deprecated*"
            "$($warnings[2])" | Should -BeLike '*line 5, column 11*penalize_newline*'
            $m.Parameters.Name | Should -Be @('temperature')
        }

        It 'shows a list view with the parameters' {
            $text = ConvertFrom-KapsuleModelfile -Path $sample | Format-List | Out-String
            $text | Should -Match 'From\s+:\s+\./test\.gguf'
            $text | Should -Match 'Parameters\s+:\s+stop=\[INST\]; stop=\[/INST\]; temperature=0\.8'
        }
    }

    Context 'reading text' {
        It 'joins lines from Get-Content and parses them once' {
            $fromLines = Get-Content -LiteralPath $sample | ConvertFrom-KapsuleModelfile
            $fromLines | Should -HaveCount 1
            $fromLines.Licenses[0] | Should -BeLike "MIT License`n`nCopyright*"
            $fromFile = ConvertFrom-KapsuleModelfile -LiteralPath $sample
            ($fromLines | ConvertTo-KapsuleModelfile) | Should -BeExactly ($fromFile | ConvertTo-KapsuleModelfile)
            $fromLines.SourcePath | Should -BeNullOrEmpty
        }

        It 'takes one raw string with CRLF line ends' {
            $m = Get-Content -Raw -LiteralPath (Join-Path $valid 'windows-crlf.modelfile') | ConvertFrom-KapsuleModelfile
            $m.GetParameter('num_ctx') | Should -Be 4096
            $m.Template | Should -Not -Match "`r"
        }

        It 'takes -Content by name' {
            $m = ConvertFrom-KapsuleModelfile -Content "from llama3`nPARAMETER use_mmap false`nMESSAGE user hi"
            $m.From | Should -Be 'llama3'
            $m.GetParameter('use_mmap') | Should -BeOfType ([bool])
            $m.GetParameter('use_mmap') | Should -BeFalse
            $m.Messages[0].Role | Should -Be 'user'
        }
    }

    Context 'errors' {
        It '<File> fails with <ErrorId> at line <Line>, column <Column>' -TestCases @(
            @{ File = 'unterminated-triple.modelfile'; ErrorId = 'KapsuleModelfileSyntax'; Line = 4; Column = 11; Text = 'unterminated """ string started here' }
            @{ File = 'unterminated-double.modelfile'; ErrorId = 'KapsuleModelfileSyntax'; Line = 2; Column = 8; Text = 'unterminated " string started here' }
            @{ File = 'unknown-instruction.modelfile'; ErrorId = 'KapsuleModelfileSyntax'; Line = 3; Column = 1; Text = "unknown instruction 'BADCOMMAND'" }
            @{ File = 'bad-parameter-value.modelfile'; ErrorId = 'KapsuleModelfileInvalid'; Line = 2; Column = 23; Text = "invalid float value 'warm' for parameter 'temperature'" }
            @{ File = 'unknown-parameter.modelfile'; ErrorId = 'KapsuleModelfileInvalid'; Line = 2; Column = 11; Text = "did you mean 'temperature'?" }
            @{ File = 'bad-role.modelfile'; ErrorId = 'KapsuleModelfileInvalid'; Line = 3; Column = 9; Text = 'message role must be one of' }
            @{ File = 'missing-from.modelfile'; ErrorId = 'KapsuleModelfileInvalid'; Line = 1; Column = 1; Text = 'no FROM instruction' }
            @{ File = 'empty.modelfile'; ErrorId = 'KapsuleModelfileInvalid'; Line = 1; Column = 1; Text = 'the Modelfile is empty' }
            @{ File = 'bad-requires.modelfile'; ErrorId = 'KapsuleModelfileInvalid'; Line = 3; Column = 10; Text = 'requires must be a valid semver' }
            @{ File = 'parameter-without-value.modelfile'; ErrorId = 'KapsuleModelfileSyntax'; Line = 2; Column = 15; Text = "expected a value after parameter 'stop'" }
            @{ File = 'bare-template.modelfile'; ErrorId = 'KapsuleModelfileSyntax'; Line = 2; Column = 9; Text = 'expected a value after TEMPLATE' }
        ) {
            param($File, $ErrorId, $Line, $Column, $Text)
            $path = Join-Path $invalid $File
            { ConvertFrom-KapsuleModelfile -Path $path -ErrorAction Stop } | Should -Throw -ErrorId "$ErrorId,*"
            try {
                ConvertFrom-KapsuleModelfile -Path $path -ErrorAction Stop
                throw 'no error'
            }
            catch {
                $_.FullyQualifiedErrorId | Should -BeLike "$ErrorId,*"
                $_.CategoryInfo.Category | Should -Be 'InvalidData'
                $_.TargetObject | Should -Be $path
                $_.Exception.Line | Should -Be $Line
                $_.Exception.Column | Should -Be $Column
                $_.Exception.Message | Should -BeLike "$path`: line $Line, column $Column`: *"
                $_.Exception.Message | Should -BeLike "*$([WildcardPattern]::Escape($Text))*"
            }
        }

        It 'writes one error per broken file and keeps going' {
            $paths = @(
                Join-Path $invalid 'bad-role.modelfile'
                $sample
                Join-Path $invalid 'unterminated-triple.modelfile'
            )
            $out = ConvertFrom-KapsuleModelfile -Path $paths -ErrorAction SilentlyContinue -ErrorVariable errs
            $out | Should -HaveCount 1
            $out.From | Should -Be './test.gguf'
            $errs | Should -HaveCount 2
            $errs[0].FullyQualifiedErrorId | Should -BeLike 'KapsuleModelfileInvalid,*'
            $errs[1].FullyQualifiedErrorId | Should -BeLike 'KapsuleModelfileSyntax,*'
        }

        It 'reports every broken file of the corpus from Get-ChildItem' {
            $broken = Get-ChildItem -Path $invalid -Filter *.modelfile
            $out = $broken | ConvertFrom-KapsuleModelfile -ErrorAction SilentlyContinue -ErrorVariable errs
            $out | Should -BeNullOrEmpty
            $errs | Should -HaveCount $broken.Count
            $errs | ForEach-Object { $_.FullyQualifiedErrorId | Should -Match '^KapsuleModelfile(Syntax|Invalid),' }
        }

        It 'says the file is not found' {
            $missing = Join-Path $TestDrive 'no-such.modelfile'
            { ConvertFrom-KapsuleModelfile -Path $missing -ErrorAction Stop } | Should -Throw -ErrorId 'KapsuleModelfileNotFound,*'
            ConvertFrom-KapsuleModelfile -LiteralPath $missing -ErrorAction SilentlyContinue -ErrorVariable e
            $e[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
            ConvertFrom-KapsuleModelfile -Path (Join-Path $TestDrive 'none-*.modelfile') -ErrorAction SilentlyContinue -ErrorVariable w
            $w[0].FullyQualifiedErrorId | Should -BeLike 'KapsuleModelfileNotFound,*'
        }

        It 'throws a terminating error for bad -Content that a script can catch by ErrorId' {
            $caught = $null
            try {
                "FROM llama3", 'PARAMETER top_k', 'SYSTEM hi' | ConvertFrom-KapsuleModelfile
            }
            catch {
                $caught = $_
            }
            $caught | Should -Not -BeNullOrEmpty
            $caught.FullyQualifiedErrorId | Should -BeLike 'KapsuleModelfileSyntax,*'
            $caught.Exception.Message | Should -BeExactly "line 2, column 16: expected a value after parameter 'top_k'"
            { ConvertFrom-KapsuleModelfile -Content 'MESSAGE robot hi' } | Should -Throw -ErrorId 'KapsuleModelfileInvalid,*'
        }
    }
}

Describe 'ConvertTo-KapsuleModelfile' {
    It 'writes the canonical text of the sample model' {
        $text = ConvertFrom-KapsuleModelfile -Path $sample | ConvertTo-KapsuleModelfile
        $text | Should -BeOfType ([string])
        $lines = $text -split "`n"
        $lines[0] | Should -BeExactly 'FROM ./test.gguf'
        $lines[1] | Should -BeExactly 'TEMPLATE [INST] {{ .System }} {{ .Prompt }} [/INST]'
        $lines[3..5] | Should -Be @('PARAMETER stop [INST]', 'PARAMETER stop [/INST]', 'PARAMETER temperature 0.8')
        $lines[6] | Should -BeExactly 'LICENSE """MIT License'
        $text | Should -Not -Match "`r"
        $text.EndsWith("`n") | Should -BeTrue
    }

    It 'round-trips every corpus file through the pipeline' {
        foreach ($file in Get-ChildItem -Path $valid -Filter *.modelfile) {
            $first = ConvertFrom-KapsuleModelfile -LiteralPath $file.FullName -WarningAction SilentlyContinue
            $text = $first | ConvertTo-KapsuleModelfile
            $again = ConvertFrom-KapsuleModelfile -Content $text
            $again.ContentEquals($first) | Should -BeTrue -Because $file.Name
            ($again | ConvertTo-KapsuleModelfile) | Should -BeExactly $text
        }
    }

    It 'writes a model built in a script' {
        $m = [Kapsule.Modelfile.KapsuleModelfile]::new()
        $m.From = 'llama3.2'
        $m.System = "Two`nlines with ""quotes"""
        $null = $m.AddParameter('num_ctx', 8192)
        $null = $m.AddParameter('temperature', 0.5)
        $m.Messages.Add([Kapsule.Modelfile.ModelfileMessage]::new('user', 'Hello'))
        $m | ConvertTo-KapsuleModelfile | Should -BeExactly (
            "FROM llama3.2`nSYSTEM """"""Two`nlines with ""quotes""""""""`nPARAMETER num_ctx 8192`nPARAMETER temperature 0.5`nMESSAGE user Hello`n")
        { $m.AddParameter('Temperature', 1) } | Should -Throw '*did you mean ''temperature''*'
    }

    It 'writes to -Path without a BOM, honours -WhatIf, and -PassThru emits the file' {
        $m = ConvertFrom-KapsuleModelfile -Path $sample
        $target = Join-Path $TestDrive 'out/Modelfile'
        $null = New-Item -ItemType Directory -Path (Split-Path $target)

        $m | ConvertTo-KapsuleModelfile -Path $target -WhatIf
        Test-Path -LiteralPath $target | Should -BeFalse

        $result = $m | ConvertTo-KapsuleModelfile -Path $target
        $result | Should -BeNullOrEmpty
        $bytes = [System.IO.File]::ReadAllBytes($target)
        $bytes[0] | Should -Be ([byte][char]'F')
        [System.Text.Encoding]::UTF8.GetString($bytes) | Should -BeExactly ($m | ConvertTo-KapsuleModelfile)

        $file = $m | ConvertTo-KapsuleModelfile -Path $target -PassThru
        $file | Should -BeOfType ([System.IO.FileInfo])
        $file.FullName | Should -Be $target
        (ConvertFrom-KapsuleModelfile -LiteralPath $target).ContentEquals($m) | Should -BeTrue
    }

    It 'refuses a model it cannot write, with an ErrorId' {
        $empty = [Kapsule.Modelfile.KapsuleModelfile]::new()
        { $empty | ConvertTo-KapsuleModelfile -ErrorAction Stop } | Should -Throw -ErrorId 'KapsuleModelfileInvalid,*'
        $empty | ConvertTo-KapsuleModelfile -ErrorAction SilentlyContinue -ErrorVariable e
        $e[0].Exception.Message | Should -BeLike '*no FROM*'
        $e[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
    }
}
