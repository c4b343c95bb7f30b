using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ReNoise.Data.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class InitialCreate : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "HealthProbes",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false),
                    CheckedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_HealthProbes", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Sessions",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    LastSeenAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Sessions", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Inversions",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    OwnerId = table.Column<Guid>(type: "uuid", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    JobId = table.Column<Guid>(type: "uuid", nullable: true),
                    ModelName = table.Column<string>(type: "text", nullable: false),
                    ModelPath = table.Column<string>(type: "text", nullable: false),
                    ModelFamily = table.Column<string>(type: "text", nullable: false),
                    Prompt = table.Column<string>(type: "text", nullable: false),
                    SchedulerName = table.Column<string>(type: "text", nullable: false),
                    ParametersJson = table.Column<string>(type: "text", nullable: false),
                    TimestepsJson = table.Column<string>(type: "text", nullable: false),
                    StartIndex = table.Column<int>(type: "integer", nullable: false),
                    Width = table.Column<int>(type: "integer", nullable: false),
                    Height = table.Column<int>(type: "integer", nullable: false),
                    SourceFileName = table.Column<string>(type: "text", nullable: true),
                    LatentShape = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    NoiseShape = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    ResidualsJson = table.Column<string>(type: "text", nullable: false),
                    Psnr = table.Column<double>(type: "double precision", nullable: true),
                    Ssim = table.Column<double>(type: "double precision", nullable: true),
                    Nfe = table.Column<int>(type: "integer", nullable: false),
                    InversionMs = table.Column<long>(type: "bigint", nullable: false),
                    OnnxRuntimeMs = table.Column<long>(type: "bigint", nullable: false),
                    WarningsJson = table.Column<string>(type: "text", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Inversions", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Inversions_Sessions_OwnerId",
                        column: x => x.OwnerId,
                        principalTable: "Sessions",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "Edits",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    InversionId = table.Column<Guid>(type: "uuid", nullable: false),
                    OwnerId = table.Column<Guid>(type: "uuid", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    JobId = table.Column<Guid>(type: "uuid", nullable: true),
                    Prompt = table.Column<string>(type: "text", nullable: false),
                    Guidance = table.Column<double>(type: "double precision", nullable: false),
                    ImagePng = table.Column<byte[]>(type: "bytea", nullable: false),
                    Nfe = table.Column<int>(type: "integer", nullable: false),
                    DurationMs = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Edits", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Edits_Inversions_InversionId",
                        column: x => x.InversionId,
                        principalTable: "Inversions",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_Edits_Sessions_OwnerId",
                        column: x => x.OwnerId,
                        principalTable: "Sessions",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "InversionBlobs",
                columns: table => new
                {
                    InversionId = table.Column<Guid>(type: "uuid", nullable: false),
                    Kind = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    OwnerId = table.Column<Guid>(type: "uuid", nullable: false),
                    Data = table.Column<byte[]>(type: "bytea", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_InversionBlobs", x => new { x.InversionId, x.Kind });
                    table.ForeignKey(
                        name: "FK_InversionBlobs_Inversions_InversionId",
                        column: x => x.InversionId,
                        principalTable: "Inversions",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "Jobs",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    OwnerId = table.Column<Guid>(type: "uuid", nullable: false),
                    Kind = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    Status = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    StartedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    FinishedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    Error = table.Column<string>(type: "text", nullable: true),
                    RequestJson = table.Column<string>(type: "text", nullable: false),
                    InputImage = table.Column<byte[]>(type: "bytea", nullable: true),
                    InversionId = table.Column<Guid>(type: "uuid", nullable: true),
                    EditId = table.Column<Guid>(type: "uuid", nullable: true),
                    Progress = table.Column<double>(type: "double precision", nullable: false),
                    ProgressText = table.Column<string>(type: "text", nullable: true),
                    Model = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    Attempts = table.Column<int>(type: "integer", nullable: false),
                    DispatchedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Jobs", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Jobs_Edits_EditId",
                        column: x => x.EditId,
                        principalTable: "Edits",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_Jobs_Inversions_InversionId",
                        column: x => x.InversionId,
                        principalTable: "Inversions",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_Jobs_Sessions_OwnerId",
                        column: x => x.OwnerId,
                        principalTable: "Sessions",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "ShareLinks",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    Token = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    OwnerId = table.Column<Guid>(type: "uuid", nullable: false),
                    InversionId = table.Column<Guid>(type: "uuid", nullable: false),
                    EditId = table.Column<Guid>(type: "uuid", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    RevokedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ShareLinks", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ShareLinks_Edits_EditId",
                        column: x => x.EditId,
                        principalTable: "Edits",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_ShareLinks_Inversions_InversionId",
                        column: x => x.InversionId,
                        principalTable: "Inversions",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_ShareLinks_Sessions_OwnerId",
                        column: x => x.OwnerId,
                        principalTable: "Sessions",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Edits_InversionId",
                table: "Edits",
                column: "InversionId");

            migrationBuilder.CreateIndex(
                name: "IX_Edits_JobId",
                table: "Edits",
                column: "JobId",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Edits_OwnerId_InversionId",
                table: "Edits",
                columns: new[] { "OwnerId", "InversionId" });

            migrationBuilder.CreateIndex(
                name: "IX_Inversions_JobId",
                table: "Inversions",
                column: "JobId",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Inversions_OwnerId_CreatedAt",
                table: "Inversions",
                columns: new[] { "OwnerId", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Jobs_EditId",
                table: "Jobs",
                column: "EditId");

            migrationBuilder.CreateIndex(
                name: "IX_Jobs_InversionId",
                table: "Jobs",
                column: "InversionId");

            migrationBuilder.CreateIndex(
                name: "IX_Jobs_OwnerId_Status",
                table: "Jobs",
                columns: new[] { "OwnerId", "Status" });

            migrationBuilder.CreateIndex(
                name: "IX_Jobs_Status",
                table: "Jobs",
                column: "Status");

            migrationBuilder.CreateIndex(
                name: "IX_Sessions_LastSeenAt",
                table: "Sessions",
                column: "LastSeenAt");

            migrationBuilder.CreateIndex(
                name: "IX_ShareLinks_EditId",
                table: "ShareLinks",
                column: "EditId");

            migrationBuilder.CreateIndex(
                name: "IX_ShareLinks_InversionId",
                table: "ShareLinks",
                column: "InversionId");

            migrationBuilder.CreateIndex(
                name: "IX_ShareLinks_OwnerId",
                table: "ShareLinks",
                column: "OwnerId");

            migrationBuilder.CreateIndex(
                name: "IX_ShareLinks_Token",
                table: "ShareLinks",
                column: "Token",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "HealthProbes");

            migrationBuilder.DropTable(
                name: "InversionBlobs");

            migrationBuilder.DropTable(
                name: "Jobs");

            migrationBuilder.DropTable(
                name: "ShareLinks");

            migrationBuilder.DropTable(
                name: "Edits");

            migrationBuilder.DropTable(
                name: "Inversions");

            migrationBuilder.DropTable(
                name: "Sessions");
        }
    }
}
