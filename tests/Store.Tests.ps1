BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
}

Describe 'The local store cmdlets' {
    BeforeEach {
        $store = New-TestFolder 'store'
        $gguf = Join-Path $Fixtures 'testmodel/test.gguf'
        $extra = Join-Path $store 'extra.bin'
        [IO.File]::WriteAllBytes($extra, [byte[]](1..200))
        $a = New-TestModelImage -StorePath $store -Reference 'localhost:5000/team/alpha:v1' -Files $gguf, $extra
        $b = New-TestModelImage -StorePath $store -Reference 'docker.io/library/beta:latest' -Files $gguf
    }
    AfterEach { Remove-Item $store -Recurse -Force -ErrorAction Ignore }

    It 'lists every image with its layers and sizes' {
        $images = Get-KapsuleImage -StorePath $store
        $images.Count | Should -Be 2
        $alpha = $images | Where-Object Reference -eq 'localhost:5000/team/alpha:v1'
        $alpha.Digest | Should -Be $a.Digest.ToString()
        $alpha.Layers.Count | Should -Be 2
        $alpha.Layers[0].Path | Should -Be 'test.gguf'
        $alpha.Layers[0].Kind | Should -Be 'Weights'
        $alpha.Layers[0].Digest | Should -Be ('sha256:' + (Get-FileHash $gguf -Algorithm SHA256).Hash.ToLowerInvariant())
        $alpha.ArtifactType | Should -Be 'application/vnd.cncf.model.manifest.v1+json'
        $alpha.Encrypted | Should -BeFalse
        $alpha | Should -BeOfType ([Kapsule.Models.KapsuleImage])
    }

    It 'filters by wildcard, by familiar name and by digest' {
        (Get-KapsuleImage -StorePath $store -Reference '*alpha*').Reference | Should -Be 'localhost:5000/team/alpha:v1'
        (Get-KapsuleImage -StorePath $store beta).Reference | Should -Be 'docker.io/library/beta:latest'
        (Get-KapsuleImage -StorePath $store $b.Digest.ToString()).Reference | Should -Be 'docker.io/library/beta:latest'
        @(Get-KapsuleImage -StorePath $store -Reference 'nomatch*').Count | Should -Be 0
    }

    It 'uses KAPSULE_STORE when no -StorePath is given' {
        $env:KAPSULE_STORE = $store
        try { (Get-KapsuleImage).Count | Should -Be 2 } finally { Remove-Item Env:KAPSULE_STORE }
    }

    It 'reports a missing image with a specific ErrorId' {
        { Get-KapsuleImage -StorePath $store 'localhost/none:1' -ErrorAction Stop } |
            Should -Throw -ErrorId 'KapsuleImageNotFound,Kapsule.PowerShell.GetKapsuleImageCommand'
    }

    It 'shows images in a table view' {
        $text = Get-KapsuleImage -StorePath $store | Format-Table | Out-String
        $text | Should -Match 'Reference\s+Digest\s+Layers\s+Size'
        $text | Should -Match 'localhost:5000/team/alpha:v1'
    }

    It 'verifies an intact image' {
        $r = Test-KapsuleImage -StorePath $store 'localhost:5000/team/alpha:v1'
        $r.Passed | Should -BeTrue
        $r.Blobs.Count | Should -Be 4
        Test-KapsuleImage -StorePath $store -Quiet beta | Should -BeTrue
    }

    It 'detects a byte flipped on disk' {
        $blob = Join-Path $store ('blobs/sha256/' + (Get-KapsuleImage -StorePath $store '*alpha*').Layers[1].Digest.Substring(7))
        $bytes = [IO.File]::ReadAllBytes($blob)
        $bytes[100] = $bytes[100] -bxor 0x40
        [IO.File]::WriteAllBytes($blob, $bytes)

        $r = Test-KapsuleImage -StorePath $store 'localhost:5000/team/alpha:v1' -ErrorVariable errs -ErrorAction SilentlyContinue
        $r.Passed | Should -BeFalse
        $r.Failures.Count | Should -Be 1
        $r.Failures[0].Role | Should -Be 'layer[1]'
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'KapsuleDigestMismatch,*'
        $errs[0].CategoryInfo.Category | Should -Be 'InvalidData'
        # the damaged copy is moved aside, so a pull or build fetches the blob again instead of trusting it
        Test-Path $blob | Should -BeFalse
        @(Get-ChildItem (Join-Path $store '.kapsule/corrupt')).Count | Should -Be 1
        Test-KapsuleImage -StorePath $store -Quiet 'localhost:5000/team/alpha:v1' | Should -BeFalse
        Test-KapsuleImage -StorePath $store -Quiet beta | Should -BeTrue
    }

    It 'removes an image and its unshared blobs, keeping the shared ones' {
        $alpha = Get-KapsuleImage -StorePath $store '*alpha*'
        $onlyA = Join-Path $store ('blobs/sha256/' + $alpha.Layers[1].Digest.Substring(7))
        $shared = Join-Path $store ('blobs/sha256/' + $alpha.Layers[0].Digest.Substring(7))
        Get-KapsuleImage -StorePath $store '*alpha*' | Remove-KapsuleImage -StorePath $store -Confirm:$false
        @(Get-KapsuleImage -StorePath $store).Reference | Should -Be @('docker.io/library/beta:latest')
        Test-Path $onlyA | Should -BeFalse
        Test-Path $shared | Should -BeTrue
        (Test-KapsuleImage -StorePath $store beta).Passed | Should -BeTrue
    }

    It 'removes nothing with -WhatIf' {
        Remove-KapsuleImage -StorePath $store beta -WhatIf
        (Get-KapsuleImage -StorePath $store).Count | Should -Be 2
    }

    It 'emits the removed image with -PassThru' {
        $gone = Remove-KapsuleImage -StorePath $store beta -Confirm:$false -PassThru
        $gone.Reference | Should -Be 'docker.io/library/beta:latest'
    }
}

Describe 'Two processes writing to one store at once' {
    It 'keeps every image of both, with no corruption' {
        $store = New-TestFolder 'store-mp'
        try {
            $files = foreach ($i in 0..3) {
                $f = Join-Path $store "w$i.bin"
                $bytes = [byte[]]::new(256KB); [Random]::new($i).NextBytes($bytes); [IO.File]::WriteAllBytes($f, $bytes); $f
            }
            $worker = Join-Path $store 'worker.ps1'
            @'
param($ModulePath, $CommonPath, $Store, $Prefix, $Shared, $Own)
$ErrorActionPreference = 'Stop'
$env:KAPSULE_MODULE_PATH = $ModulePath
. $CommonPath
foreach ($i in 1..12) {
    # each process writes the same shared weights and its own, under its own and a common name
    $null = New-TestModelImage -StorePath $Store -Reference "localhost/$Prefix/m${i}:v1" -Files $Shared, $Own
    $null = New-TestModelImage -StorePath $Store -Reference "localhost/common/m${i}:v1" -Files $Shared
}
'@ | Set-Content -LiteralPath $worker
            $cmd = Get-PwshCommandLine
            $procs = foreach ($p in 'p1', 'p2') {
                $own = if ($p -eq 'p1') { $files[1] } else { $files[2] }
                $argList = @($cmd | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', $worker,
                    '-ModulePath', $KapsuleModulePath, '-CommonPath', (Join-Path $PSScriptRoot 'common.ps1'),
                    '-Store', $store, '-Prefix', $p, '-Shared', $files[0], '-Own', $own)
                Start-Process -FilePath $cmd[0] -ArgumentList $argList -PassThru -NoNewWindow `
                    -RedirectStandardError (Join-Path $store "$p.err")
            }
            foreach ($p in $procs) { $p.WaitForExit(120000) | Should -BeTrue; $p.ExitCode | Should -Be 0 -Because (Get-Content (Join-Path $store "p$($procs.IndexOf($p)+1).err") -Raw) }

            $images = Get-KapsuleImage -StorePath $store
            $images.Count | Should -Be 36
            foreach ($p in 'p1', 'p2') { @($images | Where-Object Reference -like "localhost/$p/*").Count | Should -Be 12 }
            @($images | Where-Object Reference -like 'localhost/common/*').Count | Should -Be 12
            $results = Test-KapsuleImage -StorePath $store
            @($results | Where-Object { -not $_.Passed }).Count | Should -Be 0
            (Get-Content (Join-Path $store 'index.json') -Raw | ConvertFrom-Json).manifests.Count | Should -Be 36
            @(Get-ChildItem (Join-Path $store '.kapsule/tmp')).Count | Should -Be 0
        }
        finally { Remove-Item $store -Recurse -Force -ErrorAction Ignore }
    }
}
