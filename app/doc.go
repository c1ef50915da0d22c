// Package app assembles the service from its packages: the configuration read
// once from the environment, the AWS clients, and the object graph (Build)
// that main.go runs in Lambda and package local runs on one machine, so the
// tests exercise exactly what runs.
package app
