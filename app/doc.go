// Package app assembles the service from its packages: the configuration read
// once from the environment, the AWS clients, and the object graph for either
// mode (Lambda, or the whole system on one machine). main.go and the
// end-to-end tests build the same graph from here, so the tests exercise
// exactly what runs.
package app
