// Two gates, small enough for every tool's smoke run in `hwgen doctor`.
module smoke_gates (
    input  wire a,
    input  wire b,
    input  wire c,
    output wire y
);
    assign y = (a & b) ^ c;
endmodule
