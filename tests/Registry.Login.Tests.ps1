BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    Import-Module (Join-Path $PSScriptRoot 'TestHarness.psm1') -Force
    $reg = Start-TestRegistry -BasicAuth
    $cred = [pscredential]::new($reg.UserName, (ConvertTo-SecureString $reg.Password -AsPlainText -Force))
    $savedDockerConfig = $env:DOCKER_CONFIG
    $savedPath = $env:PATH

    function Read-DockerConfig([string] $Path = (Join-Path $env:DOCKER_CONFIG 'config.json')) {
        Get-Content -LiteralPath $Path -Raw | ConvertFrom-Json -AsHashtable
    }

    function ConvertFrom-Base64([string] $Text) { [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($Text)) }
}

AfterAll {
    Stop-TestRegistry $reg
    $env:DOCKER_CONFIG = $savedDockerConfig
    $env:PATH = $savedPath
}

Describe 'Connect-KapsuleRegistry and Disconnect-KapsuleRegistry' {
    BeforeEach {
        $env:DOCKER_CONFIG = New-TestFolder 'docker-config'
        $configFile = Join-Path $env:DOCKER_CONFIG 'config.json'
    }
    AfterEach {
        Remove-Item -LiteralPath $env:DOCKER_CONFIG -Recurse -Force -ErrorAction Ignore
        $env:PATH = $savedPath
    }

    It 'stores the login in docker''s config.json with -SkipVerify' {
        $login = Connect-KapsuleRegistry -Registry $reg.HostPort -Credential $cred -SkipVerify -PassThru
        $login | Should -BeOfType ([Kapsule.Registry.RegistryLogin])
        $login.Registry | Should -Be $reg.HostPort
        $login.UserName | Should -Be $reg.UserName
        $login.Store | Should -Be $configFile

        $config = Read-DockerConfig
        @($config.auths.Keys) | Should -Be @($reg.HostPort)
        ConvertFrom-Base64 $config.auths[$reg.HostPort].auth | Should -Be "$($reg.UserName):$($reg.Password)"
        (Get-Content -LiteralPath $configFile -Raw) | Should -Not -Match ([regex]::Escape($reg.Password))
        if ($IsLinux -or $IsMacOS) { (Get-Item -LiteralPath $configFile).UnixMode | Should -Be '-rw-------' }
        @(Get-ChildItem -LiteralPath $env:DOCKER_CONFIG -Force).Count | Should -Be 1
    }

    It 'keeps the other fields of an existing config.json' {
        Set-Content -LiteralPath $configFile -Value '{"auths":{"ghcr.io":{"auth":"b3RoZXI6cHc="}},"psFormat":"table {{.ID}}","plugins":{"x":{"enabled":"true"}}}'
        Connect-KapsuleRegistry $reg.HostPort $cred -SkipVerify
        $config = Read-DockerConfig
        $config.psFormat | Should -Be 'table {{.ID}}'
        $config.plugins.x.enabled | Should -Be 'true'
        $config.auths['ghcr.io'].auth | Should -Be 'b3RoZXI6cHc='
        ConvertFrom-Base64 $config.auths[$reg.HostPort].auth | Should -Be "$($reg.UserName):$($reg.Password)"
    }

    It 'writes the file named by -ConfigPath instead' {
        $other = Join-Path $env:DOCKER_CONFIG 'elsewhere/my-config.json'
        $login = Connect-KapsuleRegistry $reg.HostPort $cred -SkipVerify -ConfigPath $other -PassThru
        $login.Store | Should -Be $other
        Test-Path -LiteralPath $configFile | Should -BeFalse
        ConvertFrom-Base64 (Read-DockerConfig $other).auths[$reg.HostPort].auth | Should -Be "$($reg.UserName):$($reg.Password)"
        Disconnect-KapsuleRegistry $reg.HostPort -ConfigPath $other
        (Read-DockerConfig $other).auths.Count | Should -Be 0
    }

    It 'stores Docker Hub under docker''s key' {
        Connect-KapsuleRegistry 'index.docker.io' $cred -SkipVerify
        @((Read-DockerConfig).auths.Keys) | Should -Be @('https://index.docker.io/v1/')
        Disconnect-KapsuleRegistry 'docker.io' -PassThru | Should -Be 'docker.io'
    }

    It 'removes the login with Disconnect-KapsuleRegistry' {
        Set-Content -LiteralPath $configFile -Value '{"auths":{"ghcr.io":{"auth":"b3RoZXI6cHc="}},"currentContext":"default"}'
        Connect-KapsuleRegistry $reg.HostPort $cred -SkipVerify -PassThru | Disconnect-KapsuleRegistry -PassThru | Should -Be $reg.HostPort
        $config = Read-DockerConfig
        $config.auths.ContainsKey($reg.HostPort) | Should -BeFalse
        $config.auths['ghcr.io'].auth | Should -Be 'b3RoZXI6cHc='
        $config.currentContext | Should -Be 'default'
    }

    It 'reports a registry with no stored login as KapsuleNotLoggedIn and goes on' {
        { Disconnect-KapsuleRegistry 'nowhere.example:1234' -ErrorAction Stop } |
            Should -Throw -ErrorId 'KapsuleNotLoggedIn,Kapsule.PowerShell.DisconnectKapsuleRegistryCommand'

        Connect-KapsuleRegistry $reg.HostPort $cred -SkipVerify
        $out = Disconnect-KapsuleRegistry 'nowhere.example:1234', $reg.HostPort -PassThru -ErrorVariable errs -ErrorAction SilentlyContinue
        $out | Should -Be $reg.HostPort
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'KapsuleNotLoggedIn,*'
        $errs[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $errs[0].TargetObject | Should -Be 'nowhere.example:1234'
        (Read-DockerConfig).auths.Count | Should -Be 0
    }

    It 'writes nothing with -WhatIf' {
        Connect-KapsuleRegistry $reg.HostPort $cred -SkipVerify -WhatIf
        Test-Path -LiteralPath $configFile | Should -BeFalse

        Connect-KapsuleRegistry $reg.HostPort $cred -SkipVerify
        $before = Get-Content -LiteralPath $configFile -Raw
        Disconnect-KapsuleRegistry $reg.HostPort -WhatIf
        Get-Content -LiteralPath $configFile -Raw | Should -Be $before
    }

    It 'rejects what is not a registry host' {
        { Connect-KapsuleRegistry 'not a host' $cred -SkipVerify -ErrorAction Stop } |
            Should -Throw -ErrorId 'KapsuleInvalidRegistry,Kapsule.PowerShell.ConnectKapsuleRegistryCommand'
        Test-Path -LiteralPath $configFile | Should -BeFalse
    }

    It 'reports a malformed config.json by name and leaves it alone' {
        Set-Content -LiteralPath $configFile -Value '{"auths": {'
        $err = $null
        try { Connect-KapsuleRegistry $reg.HostPort $cred -SkipVerify -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'KapsuleCredentialConfigInvalid,*'
        $err.Exception.Message | Should -BeLike "*$configFile*"
        (Get-Content -LiteralPath $configFile -Raw).Trim() | Should -Be '{"auths": {'
    }

    It 'stores through the credential helper named by credsStore' -Skip:(-not ($IsLinux -or $IsMacOS)) {
        $bin = New-TestFolder 'helper-bin'
        $helper = Join-Path $bin 'docker-credential-kapsulepester'
        # Minimal docker-credential-helpers protocol: store appends a line, get/erase find it by server URL.
        Set-Content -LiteralPath $helper -Value @'
#!/bin/sh
dir=$(dirname "$0"); db="$dir/secrets.tsv"; touch "$db"; input=$(cat); t=$(printf '\t')
field() { printf '%s' "$input" | sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }
case "$1" in
  store) printf '%s\t%s\t%s\n' "$(field ServerURL)" "$(field Username)" "$(field Secret)" >> "$db" ;;
  get) line=$(grep "^$input$t" "$db") || { echo 'credentials not found in native keychain'; exit 1; }
       printf '{"ServerURL":"%s","Username":"%s","Secret":"%s"}\n' "$input" "$(echo "$line" | cut -f2)" "$(echo "$line" | cut -f3)" ;;
  erase) grep -q "^$input$t" "$db" || { echo 'credentials not found in native keychain'; exit 1; }
         grep -v "^$input$t" "$db" > "$db.new"; mv "$db.new" "$db" ;;
  *) echo "unknown action $1"; exit 1 ;;
esac
'@
        & chmod 755 $helper
        $env:PATH = $bin + [IO.Path]::PathSeparator + $env:PATH
        Set-Content -LiteralPath $configFile -Value '{"credsStore":"kapsulepester"}'
        try {
            $login = Connect-KapsuleRegistry $reg.HostPort $cred -SkipVerify -PassThru
            $login.Store | Should -Be 'docker-credential-kapsulepester'
            Get-Content -LiteralPath (Join-Path $bin 'secrets.tsv') | Should -Be "$($reg.HostPort)`t$($reg.UserName)`t$($reg.Password)"
            Get-Content -LiteralPath $configFile -Raw | Should -Not -Match ([regex]::Escape($reg.Password))
            (Read-DockerConfig).credsStore | Should -Be 'kapsulepester'

            $found = [Kapsule.Registry.DockerConfigCredentialProvider]::new($configFile, [string[]]@()).GetAsync($reg.HostPort, [Threading.CancellationToken]::None).GetAwaiter().GetResult()
            $found.Password | Should -Be $reg.Password

            Disconnect-KapsuleRegistry $reg.HostPort
            @(Get-Content -LiteralPath (Join-Path $bin 'secrets.tsv')).Count | Should -Be 0
            { Disconnect-KapsuleRegistry $reg.HostPort -ErrorAction Stop } | Should -Throw -ErrorId 'KapsuleNotLoggedIn,*'
        }
        finally { Remove-Item -LiteralPath $bin -Recurse -Force -ErrorAction Ignore }
    }

    It 'reports a credsStore helper that is not installed' {
        Set-Content -LiteralPath $configFile -Value '{"credsStore":"kapsule-not-installed"}'
        $err = $null
        try { Connect-KapsuleRegistry $reg.HostPort $cred -SkipVerify -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'KapsuleCredentialHelperFailed,*'
        $err.Exception.Message | Should -BeLike "*docker-credential-kapsule-not-installed*not on PATH*"
    }

    Context 'interoperates with containers/image (skopeo)' -Skip:(-not (Get-Command skopeo -ErrorAction Ignore)) {
        It 'skopeo uses the login Connect-KapsuleRegistry stored' {
            Connect-KapsuleRegistry $reg.HostPort $cred -SkipVerify
            & skopeo login --get-login --authfile $configFile $reg.HostPort | Should -Be $reg.UserName
            # Authenticated, the registry answers "repository unknown"; without the login it would be 401.
            $out = & skopeo list-tags --authfile $configFile --tls-verify=false "docker://$($reg.HostPort)/kapsule/none" 2>&1 | Out-String
            $out | Should -Not -Match 'unauthorized|authentication required'
            $out | Should -Match '404|name unknown|not known'
            # The control: with no login anywhere (skopeo also reads $DOCKER_CONFIG/config.json), it is refused.
            $loggedIn = $env:DOCKER_CONFIG
            $env:DOCKER_CONFIG = Join-Path $loggedIn 'no-login'
            try {
                $empty = Join-Path $loggedIn 'empty.json'
                Set-Content -LiteralPath $empty -Value '{}'
                & skopeo list-tags --authfile $empty --tls-verify=false "docker://$($reg.HostPort)/kapsule/none" 2>&1 | Out-String |
                    Should -Match 'unauthorized|authentication required|401'
            }
            finally { $env:DOCKER_CONFIG = $loggedIn }
        }

        It 'Disconnect-KapsuleRegistry removes a login skopeo stored' {
            $file = Join-Path $env:DOCKER_CONFIG 'skopeo-auth.json'
            & skopeo login --authfile $file --tls-verify=false -u $reg.UserName -p $reg.Password $reg.HostPort | Out-Null
            $LASTEXITCODE | Should -Be 0
            $found = [Kapsule.Registry.DockerConfigCredentialProvider]::new($file, [string[]]@()).GetAsync($reg.HostPort, [Threading.CancellationToken]::None).GetAwaiter().GetResult()
            $found.UserName | Should -Be $reg.UserName
            $found.Password | Should -Be $reg.Password
            Disconnect-KapsuleRegistry $reg.HostPort -ConfigPath $file
            (Read-DockerConfig $file).auths.Count | Should -Be 0
        }
    }

    It 'checks the password against the registry before storing it' -Tag 'Registry' {
        $login = Connect-KapsuleRegistry $reg.HostPort $cred -PassThru
        $login.Registry | Should -Be $reg.HostPort
        ConvertFrom-Base64 (Read-DockerConfig).auths[$reg.HostPort].auth | Should -Be "$($reg.UserName):$($reg.Password)"
    }

    It 'refuses a wrong password and stores nothing' -Tag 'Registry' {
        $wrong = [pscredential]::new($reg.UserName, (ConvertTo-SecureString 'not-the-password' -AsPlainText -Force))
        { Connect-KapsuleRegistry $reg.HostPort $wrong -ErrorAction Stop } |
            Should -Throw -ErrorId 'KapsuleAuthenticationFailed,Kapsule.PowerShell.ConnectKapsuleRegistryCommand'
        Test-Path -LiteralPath $configFile | Should -BeFalse
    }
}
