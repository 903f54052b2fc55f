// Package deploy is the deployment kit: a systemd unit and its user
// (systemd/), an nginx site in front of sspr and the matching settings
// (nginx/). docs/OPERATIONS.md says how to use them. The package holds no
// code: its tests check the files against the tools that read them and
// against the sspr they run. The container image is made by
// server/cmd/mkimage (`make image`), or by the Dockerfile at the root.
package deploy
