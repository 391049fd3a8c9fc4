module github.com/microovn/microovn

go 1.26

require (
	github.com/canonical/microcluster/v3 v3.0.0-20260121114850-ead5e49aa73b
	github.com/gorilla/mux v1.8.1
	github.com/spf13/cobra v1.10.2
	gopkg.in/yaml.v3 v3.0.1
)

require (
	github.com/Rican7/retry v0.3.1 // indirect
	github.com/canonical/go-dqlite/v3 v3.0.3 // indirect
	github.com/canonical/lxd v0.0.0-20251211093832-ac7a1edf4d94 // indirect
	github.com/flosch/pongo2 v0.0.0-20200913210552-0d938eb266f3 // indirect
	github.com/fsnotify/fsnotify v1.9.0 // indirect
	github.com/google/renameio v1.0.1 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/gorilla/websocket v1.5.3 // indirect
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	github.com/kballard/go-shellquote v0.0.0-20180428030007-95032a82bc51 // indirect
	github.com/mattn/go-sqlite3 v1.14.33 // indirect
	github.com/pkg/errors v0.9.1 // indirect
	github.com/pkg/xattr v0.4.12 // indirect
	github.com/robfig/cron/v3 v3.0.1 // indirect
	github.com/sirupsen/logrus v1.9.3 // indirect
	github.com/spf13/pflag v1.0.10 // indirect
	go.yaml.in/yaml/v2 v2.4.3 // indirect
	golang.org/x/sync v0.19.0 // indirect
	golang.org/x/sys v0.40.0 // indirect
	golang.org/x/term v0.38.0 // indirect
	gopkg.in/yaml.v2 v2.4.0 // indirect
)

replace github.com/canonical/go-dqlite/v3 => github.com/canonical/go-dqlite/v3 v3.0.0
