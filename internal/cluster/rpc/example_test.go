package rpc_test

import (
	"context"
	"log/slog"
	"time"

	"github.com/hashicorp/raft"

	"github.com/custodes/custodes/internal/cluster"
	"github.com/custodes/custodes/internal/cluster/rpc"
	"github.com/custodes/custodes/internal/cluster/transport"
)

// Example_wiring shows how a node runs Raft and RPC on one transport and
// lets followers forward proposals to the leader.
func Example_wiring() {
	var (
		id, dataDir, bind, advertise string
		secret                       []byte
		voters                       []raft.Server // ID + advertised address of every voter
		log                          *slog.Logger
	)
	tr, err := transport.Listen(transport.Config{NodeID: id, Secret: secret, Bind: bind, Advertise: advertise, Logger: log})
	if err != nil {
		return
	}
	defer tr.Close() // last: after everything that uses it

	rt, err := tr.Raft(transport.RaftOptions{})
	if err != nil {
		return
	}
	node, err := cluster.Open(cluster.Config{NodeID: id, DataDir: dataDir, Transport: rt, Bootstrap: voters})
	if err != nil {
		return
	}
	defer node.Close()

	srv := rpc.NewServer(rpc.ServerConfig{Logger: log})
	rpc.HandlePropose(srv, node.ProposeEncoded)
	rpc.HandleTime(srv, time.Now)
	ln, err := tr.Listen(transport.KindRPC)
	if err != nil {
		return
	}
	go srv.Serve(ln)
	defer srv.Close()

	client := rpc.NewClient(rpc.ClientConfig{Dial: tr.Dialer(transport.KindRPC)})
	defer client.Close()
	node.SetForwarder(rpc.Forwarder(client, rpc.RaftResolver(node.Raft())))

	// Clock skew against a peer, for the metric and the warning.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if skew, err := rpc.MeasureSkew(ctx, client, string(voters[0].Address), 3); err == nil {
		log.Info("clock skew", "peer", voters[0].ID, "offset", skew.Offset, "rtt", skew.RTT)
	}
}
