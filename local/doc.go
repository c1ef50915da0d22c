// Package local runs the whole service on one machine: the local API
// Gateway (local/gateway), a JWT issuer for speakers, the sweep's schedule
// and a loopback that stands in for the translation pipeline, around the same
// object graph that runs in Lambda (app.Build). Everything under local/
// exists only on one machine; nothing on the AWS path imports it.
package local
